/**
 * `debounce: {key, period}` in embedded mode (SQLite store, real step processes): a burst of 10
 * executes of one key, each within the period of the one before, becomes one run with the last
 * input; the 9 earlier runs end `cancelled` with error details `{reason: "debounced",
 * debouncedInto: <the later request that absorbed it>}` (the links lead to the run that ran)
 * and never run a step. Another key is not absorbed by it, and
 * a request after the key went quiet runs again. A key expression that does not check is
 * refused at registration.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

const SLOW = 120_000;

describe('flow control: debounce per key (embedded)', () => {
  const t = useStator({ start: 'manual', memoryBus: true });

  it('a burst of 10 becomes one run with the last input', { timeout: SLOW }, async () => {
    const { stator } = await t.start({ processHost: false, engines: 1, slotsPerEngine: 4 });
    const log = join(t.files, 'runs.log');
    await stator.registerWorkflow({
      id: 'deb',
      inputs: { k: { type: 'string' }, n: { type: 'number' } },
      env: { LOG: log },
      debounce: { key: 'inputs.k', period: '800ms' },
      steps: [{ id: 'work', run: 'echo "$INPUT_K $INPUT_N" >> "$LOG"' }],
    });
    const burst: string[] = [];
    for (let n = 0; n < 10; n++) {
      burst.push((await stator.execute('deb', { k: 'a', n })).executionId);
      await new Promise((r) => setTimeout(r, 30));
    }
    const other = (await stator.execute('deb', { k: 'b', n: 100 })).executionId;
    const last = burst.at(-1)!;
    await waitFor(async () => (await stator.getExecution(last)).waiting?.reason === 'debounce', {
      message: 'the latest run of the burst waits for the key to go quiet',
    });
    expect((await t.finish(last, 30_000)).status).toBe('completed');
    expect((await t.finish(other, 30_000)).status).toBe('completed');
    const into = new Map<string, string>();
    for (const id of burst.slice(0, -1)) {
      const r = await t.finish(id, 30_000);
      expect(r.status, id).toBe('cancelled');
      expect(r.error).toMatchObject({ code: 'cancelled', details: { reason: 'debounced' } });
      expect(r.startedAt).toBeNull();
      expect(r.waiting).toBeUndefined();
      into.set(id, (r.error!.details as { debouncedInto: string }).debouncedInto);
    }
    // Each names the later request that absorbed it; the links lead to the run that ran.
    for (const id of burst.slice(0, -1)) {
      let at = id;
      for (let hops = 0; hops < 10 && at !== last; hops++) at = into.get(at)!;
      expect(at, id).toBe(last);
    }
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines.sort()).toEqual(['a 9', 'b 100']);
    // After the key went quiet, a new request is a new burst: it runs.
    const again = (await stator.execute('deb', { k: 'a', n: 42 })).executionId;
    expect((await t.finish(again, 30_000)).status).toBe('completed');
    expect(readFileSync(log, 'utf8').trim().split('\n')).toContain('a 42');
    expect((await stator.getExecution(again)).waiting).toBeUndefined();
  });

  it(
    'refuses a debounce whose key does not check or has no period',
    { timeout: SLOW },
    async () => {
      const { stator } = await t.start({ processHost: false });
      for (const value of [
        { key: 'inputs.k +', period: '1s' },
        { key: 'inputs.k' },
        { key: 'inputs.k', period: 0 },
      ]) {
        await expect(
          stator.registerWorkflow({ id: 'bad', debounce: value, steps: [{ id: 'a', noop: true }] }),
          JSON.stringify(value),
        ).rejects.toMatchObject({ code: 'invalid_workflow' });
      }
    },
  );
});

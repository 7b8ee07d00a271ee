/**
 * Per-key flow control in embedded mode (SQLite store, real step processes): 100 runs of one
 * key under `runConcurrency: {limit: 2}` on 8 engine slots never run more than 2 at once (each
 * step appends its start and end to a file; the overlap is measured from them) while another key
 * runs beside them; every run completes exactly once. Key expressions that do not check are
 * refused at registration (422).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

const SLOW = 180_000;

/** The most intervals open at once, from `start <ns> <id>` / `end <ns> <id>` lines. */
function maxOverlap(lines: string[], tag: string): number {
  const events = lines
    .map((l) => l.split(' '))
    .filter((p) => p[2] === tag)
    .map(([kind, ns]) => ({ at: BigInt(ns!), delta: kind === 'start' ? 1 : -1 }))
    // An end and a start at the same instant: the end first.
    .sort((a, b) => (a.at === b.at ? a.delta - b.delta : a.at < b.at ? -1 : 1));
  let open = 0;
  let max = 0;
  for (const e of events) max = Math.max(max, (open += e.delta));
  return max;
}

describe('flow control: runConcurrency per key (embedded)', () => {
  const t = useStator({ start: 'manual', memoryBus: true });

  it(
    '100 runs of one key with limit 2 never run more than 2 at once',
    { timeout: SLOW },
    async () => {
      const { stator } = await t.start({ processHost: false, engines: 1, slotsPerEngine: 8 });
      const log = join(t.files, 'intervals.log');
      await stator.registerWorkflow({
        id: 'keyed',
        inputs: { tenant: { type: 'string' } },
        env: { LOG: log },
        runConcurrency: { key: 'inputs.tenant', limit: 2 },
        steps: [
          {
            id: 'work',
            run: 'echo "start $(date +%s%N) $INPUT_TENANT" >> "$LOG"; sleep 0.05; echo "end $(date +%s%N) $INPUT_TENANT" >> "$LOG"',
          },
        ],
      });
      const ids: string[] = [];
      for (let i = 0; i < 100; i++) {
        ids.push((await stator.execute('keyed', { tenant: 'a' })).executionId);
        if (i % 10 === 0) ids.push((await stator.execute('keyed', { tenant: 'b' })).executionId);
      }
      // The last run of key a is held (98 wait for 2 slots): its record says why.
      const last = ids.filter((_, i) => i % 11 !== 0).at(-1)!;
      await waitFor(async () => (await stator.getExecution(last)).waiting !== undefined, {
        message: 'a held run records why it waits',
      });
      expect((await stator.getExecution(last)).waiting).toMatchObject({
        reason: 'runConcurrency',
        key: 'a',
      });
      for (const id of ids) expect((await t.finish(id, 120_000)).status).toBe('completed');
      expect((await stator.getExecution(last)).waiting).toBeUndefined();
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      expect(lines.filter((l) => l.endsWith(' a'))).toHaveLength(200);
      expect(maxOverlap(lines, 'a')).toBeLessThanOrEqual(2);
      // The limit is reached (it bounds, it does not serialise), and other keys are not held by it.
      expect(maxOverlap(lines, 'a')).toBe(2);
      expect(lines.filter((l) => l.endsWith(' b'))).toHaveLength(20);
      const one = await stator.getExecution(ids[0]!);
      expect(one.steps[0]!.attempts).toBe(1);
    },
  );

  it(
    'held runs survive a restart: each runs once, still one at a time',
    { timeout: SLOW },
    async () => {
      const { stator } = await t.start({ processHost: false, engines: 1, slotsPerEngine: 4 });
      const log = join(t.files, 'restart.log');
      await stator.registerWorkflow({
        id: 'single',
        env: { LOG: log },
        runConcurrency: { key: '"all"', limit: 1 },
        steps: [
          {
            id: 'work',
            run: 'echo "start $(date +%s%N) $STATOR_EXECUTION_ID" >> "$LOG"; sleep 0.3; echo "end $(date +%s%N) $STATOR_EXECUTION_ID" >> "$LOG"',
          },
        ],
      });
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push((await stator.execute('single')).executionId);
      await waitFor(async () => (await stator.getExecution(ids[3]!)).waiting !== undefined, {
        message: 'the last run is held',
      });
      const restarted = await t.restart();
      for (const id of ids) expect((await t.finish(id, 60_000)).status).toBe('completed');
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      // The held runs had not started before the restart: each starts exactly once after it.
      for (const id of ids.slice(1)) {
        expect(
          lines.filter((l) => l.startsWith('start') && l.endsWith(id)),
          id,
        ).toHaveLength(1);
      }
      // Complete intervals (an attempt interrupted by the restart has a start and no end: the
      // start that another start of the same run follows) never overlap.
      const complete = lines.filter((l, i) => {
        const [kind, , id] = l.split(' ');
        if (kind !== 'start') return true;
        const next = lines.slice(i + 1).find((x) => x.endsWith(id!));
        return next?.startsWith('end') === true;
      });
      const tagged = complete.map((l) => l.split(' ').slice(0, 2).concat('x').join(' '));
      expect(maxOverlap(tagged, 'x')).toBe(1);
      expect((await restarted.getExecution(ids[3]!)).waiting).toBeUndefined();
    },
  );

  it(
    'refuses a key expression that does not check, naming the field',
    { timeout: SLOW },
    async () => {
      const { stator } = await t.start({ processHost: false });
      for (const [field, value] of [
        ['runConcurrency', { key: 'inputs.tenant +', limit: 2 }],
        ['runConcurrency', { key: 'steps.a.outputs', limit: 2 }],
        ['runConcurrency', { key: '[1, 2]', limit: 2 }],
        ['runConcurrency', { key: 'inputs.x', limit: 0 }],
        ['rateLimit', { key: 'inputs.x', limit: 1, per: 0 }],
        ['rateLimit', { key: 'inputs.x', limit: 1 }],
      ] as const) {
        await expect(
          stator.registerWorkflow({ id: 'bad', [field]: value, steps: [{ id: 'a', noop: true }] }),
          JSON.stringify(value),
        ).rejects.toMatchObject({ code: 'invalid_workflow' });
      }
    },
  );
});

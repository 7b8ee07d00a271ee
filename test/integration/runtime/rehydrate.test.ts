import { afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { actorWildcard } from '../../../src/bus/subjects.ts';
import type { StampedEvent } from '../../../src/events.ts';
import { waitGone } from '../../fixtures/exec/process-tracker.ts';
import { killGroup, startChildServer } from '../../helpers/child-server.ts';
import { readPid } from '../../helpers/stator.ts';
import { waitFor } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

const SERVE_ONCE = join(import.meta.dirname, '..', '..', 'fixtures', 'runtime', 'serve-once.ts');
const SLOW = 90_000;

describe('runtime: rehydration after a crash', () => {
  const t = useStator({ start: 'manual', memoryBus: true });
  let orphan: number | undefined;
  afterEach(() => {
    if (orphan) killGroup(orphan);
    orphan = undefined;
  });

  it(
    'resumes an unfinished run: the running step is interrupted and re-run, settled steps stay',
    { timeout: SLOW },
    async () => {
      // 1. A separate Stator process starts the run and is SIGKILLed while b runs.
      const dataDir = t.tempDir('stator-rt-crash-');
      await using server = await startChildServer<{ executionId: string }>(SERVE_ONCE, {
        args: [dataDir, t.files],
      });
      const { executionId } = server.ready;
      // b's shell execs `sleep 30`: the pid is the sleep, and leads its own process group.
      orphan = await readPid(join(t.files, 'b.pid'), 30_000);
      await server.crash();
      // The runner puts every step in its own process group, so the server's death does not
      // take b along: end the orphan as a supervisor would before the restart.
      killGroup(orphan);
      expect(await waitGone(orphan, 10_000)).toBe(true);

      // 2. A new Stator on the same data directory picks the run up.
      // Subscribed on the bus before the start: rehydration publishes while the service starts.
      const seen: StampedEvent[] = [];
      t.bus.subscribe(actorWildcard('out', 'execution'), (msg) => seen.push(msg.json()));
      await t.start({ dataDir, node: 'rescue-node' });
      const record = await t.finish(executionId, 30_000);

      expect(record.status).toBe('completed');
      expect(record.node).toBe('rescue-node');
      expect(record.steps).toMatchObject([
        { id: 'a', status: 'succeeded', attempts: 1, exitCode: 0 },
        { id: 'b', status: 'succeeded', attempts: 2, exitCode: 0 },
      ]);
      // a ran once, in the first process only.
      expect((await readFile(join(t.files, 'a-runs'), 'utf8')).trim()).toBe('attempt 1');

      await waitFor(() => seen.some((e) => e.type === 'execution.completed'));
      const types = seen.map((e) => `${e.type}${'stepId' in e ? ` ${e.stepId}` : ''}`);
      expect(types[0]).toBe('step.interrupted b');
      // b is re-run exactly once (execution-ledger.ts createLedger must not queue it twice).
      expect(types.filter((x) => x === 'step.started b')).toEqual(['step.started b']);
      expect(types).not.toContain('step.started a');
      expect(types.at(-1)).toBe('execution.completed');
      const interrupted = seen[0] as StampedEvent & { attempt: number };
      expect(interrupted.attempt).toBe(1);
      const restarted = seen.find((e) => e.type === 'step.started') as StampedEvent & {
        attempt: number;
      };
      expect(restarted.attempt).toBe(2);
      expect(await t.stator.logs(executionId, { stepId: 'b' })).toContain(
        'b stdout | resumed on attempt 2\n',
      );
    },
  );
});

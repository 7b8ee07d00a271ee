import { afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { subjectSpace } from '../../../src/bus/subjects.ts';
import type { StampedEvent } from '../../../src/events.ts';
import { waitGone } from '../../fixtures/exec/process-tracker.ts';
import { killGroup, startChildServer } from '../../helpers/child-server.ts';
import { readPid } from '../../helpers/stator.ts';
import { waitFor } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

/** Names of the default deployment (prefix `stator`), which these tests run as. */
const { actorWildcard } = subjectSpace();

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
    'without a process host: the running step was lost, re-runs without using a retry attempt',
    { timeout: SLOW },
    async () => {
      // 1. A separate Stator process (steps as its own children) is SIGKILLed while b runs.
      const dataDir = t.tempDir('stator-rt-crash-');
      await using server = await startChildServer<{ executionId: string }>(SERVE_ONCE, {
        args: [dataDir, t.files],
        env: { FIXTURE_PROCESS_HOST: '0' },
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
      await t.start({ dataDir, node: 'rescue-node', processHost: false });
      const record = await t.finish(executionId, 30_000);

      expect(record.status).toBe('completed');
      expect(record.node).toBe('rescue-node');
      // b's lost attempt did not count against its policy (2 attempts): it is reported lost.
      expect(record.steps).toMatchObject([
        { id: 'a', status: 'succeeded', attempts: 1, exitCode: 0 },
        { id: 'b', status: 'succeeded', attempts: 2, exitCode: 0, lostAttempts: 1 },
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
      const interrupted = seen[0] as StampedEvent & { attempt: number; lostAttempts: number };
      expect(interrupted).toMatchObject({ attempt: 1, lostAttempts: 1 });
      const restarted = seen.find((e) => e.type === 'step.started') as StampedEvent & {
        attempt: number;
      };
      expect(restarted.attempt).toBe(2);
      expect(await t.stator.logs(executionId, { stepId: 'b' })).toContain(
        'b stdout | resumed on attempt 2\n',
      );
    },
  );

  it(
    'with the process host: the running step goes on through the crash and is re-attached',
    { timeout: SLOW },
    async () => {
      // 1. The first server is SIGKILLed while b (a 3 s sleep) runs in the process host.
      const dataDir = t.tempDir('stator-rt-crash-');
      await using server = await startChildServer<{ executionId: string }>(SERVE_ONCE, {
        args: [dataDir, t.files, '3'],
      });
      const { executionId } = server.ready;
      orphan = await readPid(join(t.files, 'b.pid'), 30_000);
      await server.crash();
      // The host keeps it: the step's process outlives the server.
      expect(isAlive(orphan)).toBe(true);

      // 2. A new server on the same data directory re-attaches to b and gets its real end.
      const seen: StampedEvent[] = [];
      t.bus.subscribe(actorWildcard('out', 'execution'), (msg) => seen.push(msg.json()));
      await t.start({ dataDir, node: 'rescue-node' });
      const record = await t.finish(executionId, 30_000);

      expect(record.status).toBe('completed');
      // One attempt, never interrupted or repeated: the same process ran to its end.
      expect(record.steps).toMatchObject([
        { id: 'a', status: 'succeeded', attempts: 1, exitCode: 0 },
        { id: 'b', status: 'succeeded', attempts: 1, exitCode: 0 },
      ]);
      expect(record.steps[1]!.lostAttempts ?? 0).toBe(0);
      expect((await readFile(join(t.files, 'b.pid'), 'utf8')).trim()).toBe(String(orphan));
      expect(await waitGone(orphan, 5000)).toBe(true);

      await waitFor(() => seen.some((e) => e.type === 'execution.completed'));
      const types = seen.map((e) => `${e.type}${'stepId' in e ? ` ${e.stepId}` : ''}`);
      expect(types).not.toContain('step.interrupted b');
      expect(types).not.toContain('step.retrying b');
      expect(types).not.toContain('step.started a');
      const resumed = seen.find((e) => e.type === 'step.started');
      expect(resumed).toMatchObject({ stepId: 'b', attempt: 1, resumed: true });
      // The line b wrote before the crash is stored once, not replayed twice.
      const logs = await t.stator.logs(executionId, { stepId: 'b' });
      expect(logs.split('first attempt up').length - 1).toBe(1);
    },
  );
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

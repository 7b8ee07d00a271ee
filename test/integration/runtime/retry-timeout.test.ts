import { beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { subjectSpace } from '../../../src/bus/subjects.ts';
import { waitGone } from '../../fixtures/exec/process-tracker.ts';
import { FAIL_UNTIL, PROCESS_TREE_SCRIPT } from '../../fixtures/runtime/workflows.ts';
import { indexOfEvent, ms, readPid } from '../../helpers/stator.ts';
import { useStator } from '../../helpers/use-stator.ts';

/** Names of the default deployment (prefix `stator`), which these tests run as. */
const { actorIn } = subjectSpace();

const SLOW = 30_000;

describe('runtime: retries', () => {
  const t = useStator();

  it(
    'retries a failing step with exponential backoff until it succeeds',
    { timeout: SLOW },
    async () => {
      await t.stator.registerWorkflow({
        id: 'flaky',
        env: { COUNTER_DIR: t.files },
        steps: [
          {
            id: 'flaky',
            run: `sh '${FAIL_UNTIL}' 3`,
            retry: { attempts: 3, backoff: '100ms', factor: 2 },
          },
        ],
      });
      const { record, events } = await t.run('flaky');
      expect(record.status).toBe('completed');
      expect(record.steps[0]).toMatchObject({ status: 'succeeded', attempts: 3, exitCode: 0 });

      const started = events.filter((e) => e.type === 'step.started');
      expect(started.map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2, 3]);
      const gap1 = ms(started[1]!.ts) - ms(started[0]!.ts);
      const gap2 = ms(started[2]!.ts) - ms(started[1]!.ts);
      expect(gap1).toBeGreaterThanOrEqual(100);
      expect(gap2).toBeGreaterThanOrEqual(200);

      const retrying = events.filter((e) => e.type === 'step.retrying');
      expect(retrying.map((e) => (e as { delayMs: number }).delayMs)).toEqual([100, 200]);
      expect(retrying.map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2]);
      expect((retrying[0] as { error: string }).error).toMatch(/exit code 1/);
      // Each retry is announced after its attempt started and before the next one starts.
      expect(indexOfEvent(events, 'step.retrying')).toBeLessThan(events.indexOf(started[1]!));
      expect(events.filter((e) => e.type === 'step.completed')).toHaveLength(1);

      const logs = await t.stator.logs(record.id);
      expect(logs).toContain('flaky stdout | call 1 of 3\n');
      expect(logs).toContain('flaky stdout | call 3 of 3\n');
    },
  );
});

describe('runtime: timeouts and cancellation kill the whole process tree', () => {
  const t = useStator({ memoryBus: true, killGraceMs: 500 });
  beforeEach(async () => {
    await t.stator.registerWorkflow({
      id: 'tree',
      env: { PID_DIR: t.files },
      steps: [{ id: 'tree', run: PROCESS_TREE_SCRIPT }],
    });
  });

  /** Pids of the tree step's shell and its grandchild, once both are written. */
  async function treePids(): Promise<number[]> {
    const pids = [
      await readPid(join(t.files, 'tree.shell')),
      await readPid(join(t.files, 'tree.grandchild')),
    ];
    for (const pid of pids) t.processes.track(pid);
    return pids;
  }

  async function expectAllGone(pids: number[]): Promise<void> {
    for (const pid of pids) expect(await waitGone(pid, 10_000), `pid ${pid} gone`).toBe(true);
  }

  it(
    'a step timeout marks the step timed_out, fails the run, leaves no process',
    { timeout: SLOW },
    async () => {
      await t.stator.registerWorkflow({
        id: 'timed',
        env: { PID_DIR: t.files },
        steps: [{ id: 'tree', run: PROCESS_TREE_SCRIPT, timeout: '500ms' }],
      });
      const { record, events } = await t.run('timed');
      expect(record.status).toBe('failed');
      expect(record.steps[0]!.status).toBe('timed_out');
      expect(record.steps[0]!.error).toMatch(/timed out after 500 ms/);
      expect(record.error?.details).toMatchObject({ stepId: 'tree', status: 'timed_out' });
      expect(indexOfEvent(events, 'step.timed_out', 'tree')).toBeGreaterThanOrEqual(0);
      await expectAllGone(await treePids());
    },
  );

  it('stator.cancel(id) cancels the run and kills the tree', { timeout: SLOW }, async () => {
    const { executionId } = await t.stator.execute('tree');
    const pids = await treePids();
    const record = await t.stator.cancel(executionId);
    expect(record.status).toBe('cancelled');
    expect(record.error?.code).toBe('cancelled');
    expect(record.steps[0]!.status).toBe('cancelled');
    await t.finish(executionId);
    expect(t.eventsOf(executionId).at(-1)!.type).toBe('execution.cancelled');
    await expectAllGone(pids);
  });

  it('a cancel event on stator.execution.<id>.in cancels the run', { timeout: SLOW }, async () => {
    const { executionId } = await t.stator.execute('tree');
    const pids = await treePids();
    t.bus.publish(actorIn('execution', executionId), { type: 'cancel', reason: 'from the bus' });
    const record = await t.finish(executionId);
    expect(record.status).toBe('cancelled');
    expect(record.error).toMatchObject({ code: 'cancelled', message: 'from the bus' });
    expect(record.steps[0]!.status).toBe('cancelled');
    await expectAllGone(pids);
  });

  it(
    'a cancel request on the bus gets the cancelled record as its reply',
    { timeout: SLOW },
    async () => {
      const { executionId } = await t.stator.execute('tree');
      const pids = await treePids();
      const reply = await t.bus.request(
        actorIn('execution', executionId),
        { type: 'cancel' },
        { timeoutMs: 15_000 },
      );
      expect(reply.json()).toMatchObject({
        ok: true,
        data: { id: executionId, status: 'cancelled' },
      });
      await expectAllGone(pids);
    },
  );
});

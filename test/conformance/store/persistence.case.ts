/**
 * Persistence across close and reopen of records of several roles at once (workflows,
 * executions and logs; trigger states and claims). Registered only for stores that reopen.
 * @module
 */
import { describe, expect, it } from 'vitest';
import {
  claim,
  execution,
  lines,
  pending,
  SMALL,
  T1,
  T2,
  triggerState,
  useStores,
  workflow,
  type StoreConformanceOptions,
} from './fixtures.ts';

/**
 * Registers the persistence cases (none without `opts.reopen`); call it inside a describe that
 * names the store.
 */
export function runStorePersistenceConformance(opts: StoreConformanceOptions): void {
  const reopen = opts.reopen;
  if (reopen === undefined) return;
  describe('persistence', () => {
    const { open, track } = useStores(opts);

    it('keeps every record across close and reopen', { timeout: 60_000 }, async () => {
      const first = await open(SMALL);
      await first.putWorkflow(workflow('w', { source: 'v1' }));
      await first.putWorkflow(workflow('w', { source: 'v2', updatedAt: T1 }));
      const done = execution('w', ['a', 'b'], { status: 'completed', finishedAt: T2 });
      const live = execution('w', ['a', 'b']);
      await first.createExecution(done);
      await first.createExecution(live);
      await first.updateExecution(live.id, {
        status: 'running',
        startedAt: T1,
        engineId: 'e1',
        node: 'n1',
      });
      await first.putStep(live.id, { ...pending('a'), status: 'running', attempts: 2 });
      await first.appendLogs(live.id, lines('a', 0, 7));
      const before = {
        workflow: await first.getWorkflow('w'),
        live: await first.getExecution(live.id),
        logs: await first.getLogs(live.id),
      };
      expect(before.workflow!.version).toBe(2);
      const second = await reopen(first);
      track(second);
      expect(await second.getWorkflow('w')).toEqual(before.workflow);
      expect(await second.getExecution(live.id)).toEqual(before.live);
      expect(await second.getExecution(done.id)).toEqual(done);
      expect(await second.getLogs(live.id)).toEqual(before.logs);
      expect(before.logs.truncated).toEqual({ a: 2 });
      expect((await second.listUnfinishedExecutions()).map((e) => e.id)).toEqual([live.id]);
      expect((await second.listExecutions()).items.map((e) => e.id)).toEqual([live.id, done.id]);
      await expect(second.createExecution(live)).rejects.toMatchObject({ code: 'conflict' });
      await second.appendLogs(live.id, lines('a', 7, 1));
      expect((await second.getLogs(live.id)).truncated).toEqual({ a: 3 });
      await second.putWorkflow(workflow('w'));
      expect((await second.getWorkflow('w'))!.version).toBe(3);
    });

    it('keeps trigger states and claims across close and reopen', async () => {
      const first = await open();
      const state = triggerState('nightly-cron-0', {
        paused: true,
        lastFireAt: T1,
        lastResult: { status: 'started', executionId: 'ex_1' },
      });
      await first.putTriggerState(state);
      const held = claim('k');
      await first.claimIdempotencyKey(held);
      const second = await reopen(first);
      track(second);
      expect(await second.getTriggerState('nightly-cron-0')).toEqual(state);
      expect(await second.listTriggerStates()).toEqual([state]);
      expect(await second.claimIdempotencyKey(claim('k', { createdAt: T1 }))).toEqual({
        claim: held,
        created: false,
      });
    });
  });
}

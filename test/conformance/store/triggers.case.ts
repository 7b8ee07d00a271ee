/**
 * TriggerStore conformance: put, get, replace, list by id, delete, and copies in and out.
 * @module
 */
import { describe, expect, it } from 'vitest';
import { T1, T2, triggerState, useStores, type StoreConformanceOptions } from './fixtures.ts';

/** Registers the TriggerStore cases; call it inside a describe that names the store. */
export function runTriggerStoreConformance(opts: StoreConformanceOptions): void {
  describe('trigger states', () => {
    const { open } = useStores(opts);

    it('puts, gets, replaces, lists by id and deletes', async () => {
      const store = await open();
      expect(await store.getTriggerState('nightly-cron-0')).toBeUndefined();
      expect(await store.listTriggerStates()).toEqual([]);
      const fired = triggerState('nightly-cron-0', {
        lastFireAt: T1,
        lastResult: { status: 'started', executionId: 'ex_1' },
        updatedAt: T1,
      });
      const paused = triggerState('backup-cron-1', {
        workflowId: 'backup',
        paused: true,
        lastResult: { status: 'skipped', reason: 'overlap' },
      });
      const hook = triggerState('deploy-http-0', { workflowId: 'deploy' });
      for (const s of [fired, paused, hook]) await store.putTriggerState(s);
      expect(await store.getTriggerState('nightly-cron-0')).toEqual(fired);
      expect(await store.getTriggerState('backup-cron-1')).toEqual(paused);
      const replaced = triggerState('nightly-cron-0', {
        paused: true,
        lastFireAt: T2,
        lastResult: { status: 'failed', reason: 'boom' },
        updatedAt: T2,
      });
      await store.putTriggerState(replaced);
      expect(await store.getTriggerState('nightly-cron-0')).toEqual(replaced);
      expect(await store.listTriggerStates()).toEqual([paused, hook, replaced]);
      await store.deleteTriggerState('backup-cron-1');
      await store.deleteTriggerState('never-stored');
      expect(await store.getTriggerState('backup-cron-1')).toBeUndefined();
      expect((await store.listTriggerStates()).map((s) => s.id)).toEqual([
        'deploy-http-0',
        'nightly-cron-0',
      ]);
      await store.putTriggerState(paused);
      expect(await store.getTriggerState('backup-cron-1')).toEqual(paused);
    });

    it('copies states in and out, and accepts ids that are not subject-safe', async () => {
      const store = await open();
      const state = triggerState('odd id/with.dots', {
        lastResult: { status: 'queued', executionId: 'ex_2' },
      });
      await store.putTriggerState(state);
      state.lastResult!.status = 'failed';
      const got = await store.getTriggerState('odd id/with.dots');
      expect(got).toEqual(
        triggerState('odd id/with.dots', {
          lastResult: { status: 'queued', executionId: 'ex_2' },
        }),
      );
      got!.lastResult!.executionId = 'changed';
      expect((await store.listTriggerStates())[0]!.lastResult).toEqual({
        status: 'queued',
        executionId: 'ex_2',
      });
    });
  });
}

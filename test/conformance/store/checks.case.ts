/**
 * Conformance of the checks every store gets from checkedStore (src/store/checked-store.ts),
 * run against each implementation through its factory: a closed store refuses calls, an
 * execution's steps have ids of their own, and trigger states need an id.
 * @module
 */
import { describe, expect, it } from 'vitest';
import {
  claim,
  execution,
  pending,
  triggerState,
  useStores,
  type StoreConformanceOptions,
} from './fixtures.ts';

/** Registers the shared-check cases; call it inside a describe that names the store. */
export function runStoreChecksConformance(opts: StoreConformanceOptions): void {
  describe('shared checks', () => {
    const { open } = useStores(opts);

    it('closes idempotently and then refuses calls as unavailable', async () => {
      const store = await open();
      await store.close();
      await store.close();
      await expect(store.getWorkflow('w')).rejects.toMatchObject({ code: 'unavailable' });
      await expect(store.listExecutions()).rejects.toMatchObject({ code: 'unavailable' });
      await expect(store.listTriggerStates()).rejects.toMatchObject({ code: 'unavailable' });
      await expect(store.claimIdempotencyKey(claim('k'))).rejects.toMatchObject({
        code: 'unavailable',
      });
    });

    it('refuses an execution whose steps share an id, and stores nothing of it', async () => {
      const store = await open();
      const ex = execution('w', ['build', 'test', 'build']);
      await expect(store.createExecution(ex)).rejects.toMatchObject({
        code: 'invalid_argument',
        message: expect.stringContaining("duplicate step 'build'"),
      });
      expect(await store.getExecution(ex.id)).toBeUndefined();
      expect(await store.listUnfinishedExecutions()).toEqual([]);
      // The id stays free: the same run with distinct step ids is created.
      const fixed = { ...ex, steps: ['build', 'test', 'deploy'].map(pending) };
      await store.createExecution(fixed);
      expect((await store.getExecution(ex.id))!.steps.map((s) => s.id)).toEqual([
        'build',
        'test',
        'deploy',
      ]);
    });

    it('refuses a trigger state with an empty id', async () => {
      const store = await open();
      await expect(store.putTriggerState(triggerState(''))).rejects.toMatchObject({
        code: 'invalid_argument',
      });
      expect(await store.listTriggerStates()).toEqual([]);
    });
  });
}

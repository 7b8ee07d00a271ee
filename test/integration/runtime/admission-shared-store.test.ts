/**
 * One Idempotency-Key sent to two processes at once (two services on one store, as two nodes
 * of a cluster share theirs): the store's claim and its unique execution ids let exactly one run
 * start, and every caller gets its id.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStore, createStator, type Stator } from '../../../src/index.ts';

const NOOP = { id: 'noop', steps: [{ id: 'a', noop: true }] };

describe('execute idempotency across processes sharing a store', () => {
  const open: Stator[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });

  it('starts one run for a key sent to both at once', async () => {
    const store = createMemoryStore();
    for (const node of ['n1', 'n2']) {
      const stator = await createStator({ store, node, rehydrate: false, shutdownGraceMs: 0 });
      open.push(stator);
    }
    await open[0]!.registerWorkflow(NOOP);
    for (let round = 0; round < 5; round++) {
      const key = `shared-${round}`;
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          open[i % 2]!.execute('noop', {}, { idempotencyKey: key }),
        ),
      );
      const ids = new Set(results.map((r) => r.executionId));
      expect(ids.size).toBe(1);
      expect(results.filter((r) => r.replayed !== true)).toHaveLength(1);
      const [id] = ids;
      await expect.poll(async () => (await store.getExecution(id!))?.status).toBe('completed');
    }
    const runs = await store.listExecutions({ limit: 100 });
    expect(runs.items).toHaveLength(5);
  });
});

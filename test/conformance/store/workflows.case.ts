/**
 * WorkflowStore conformance: put (versioned by the store), get, list by id with cursors, delete.
 * @module
 */
import { describe, expect, it } from 'vitest';
import {
  definition,
  execution,
  T0,
  T1,
  T2,
  useStores,
  workflow,
  type StoreConformanceOptions,
} from './fixtures.ts';

/** Registers the WorkflowStore cases; call it inside a describe that names the store. */
export function runWorkflowStoreConformance(opts: StoreConformanceOptions): void {
  describe('workflows', () => {
    const { open } = useStores(opts);

    it('puts, gets and reports its kind', async () => {
      const store = await open();
      expect(typeof store.kind).toBe('string');
      expect(store.kind.length).toBeGreaterThan(0);
      await store.putWorkflow(workflow('deploy', { source: 'id: deploy\n' }));
      await store.putWorkflow(workflow('plain'));
      expect(await store.getWorkflow('deploy')).toEqual(
        workflow('deploy', { source: 'id: deploy\n' }),
      );
      const plain = await store.getWorkflow('plain');
      expect(plain).toEqual(workflow('plain'));
      expect(plain).not.toHaveProperty('source');
      expect(await store.getWorkflow('missing')).toBeUndefined();
    });

    it('bumps the version on replace and keeps createdAt', async () => {
      const store = await open();
      await store.putWorkflow(workflow('w', { source: 'v1' }));
      const next = definition('w', ['a', 'b']);
      await store.putWorkflow(
        workflow('w', { definition: next, source: 'v2', createdAt: T1, updatedAt: T1 }),
      );
      await store.putWorkflow(
        workflow('w', { definition: next, createdAt: T2, updatedAt: T2, version: 1 }),
      );
      const got = await store.getWorkflow('w');
      expect(got).toEqual({
        id: 'w',
        definition: next,
        version: 3,
        createdAt: T0,
        updatedAt: T2,
      });
    });

    it('lists by id with cursor paging', async () => {
      const store = await open();
      const ids = ['g', 'c', 'a', 'f', 'b', 'e', 'd'];
      for (const id of ids) await store.putWorkflow(workflow(id));
      const seen: string[] = [];
      let page = await store.listWorkflows({ limit: 3 });
      expect(page.items.map((w) => w.id)).toEqual(['a', 'b', 'c']);
      seen.push(...page.items.map((w) => w.id));
      while (page.nextCursor !== null) {
        page = await store.listWorkflows({ limit: 3, cursor: page.nextCursor });
        seen.push(...page.items.map((w) => w.id));
      }
      expect(seen).toEqual([...ids].sort());
      const all = await store.listWorkflows();
      expect(all.nextCursor).toBeNull();
      expect(all.items).toHaveLength(7);
      expect(all.items[0]).toEqual(workflow('a'));
      expect((await store.listWorkflows({ limit: 7 })).nextCursor).toBeNull();
    });

    it('deletes a workflow and keeps its executions', async () => {
      const store = await open();
      await store.putWorkflow(workflow('gone'));
      const ex = execution('gone');
      await store.createExecution(ex);
      expect(await store.deleteWorkflow('gone')).toBe(true);
      expect(await store.deleteWorkflow('gone')).toBe(false);
      expect(await store.getWorkflow('gone')).toBeUndefined();
      expect(await store.getExecution(ex.id)).toEqual(ex);
      const page = await store.listExecutions({ workflowId: 'gone' });
      expect(page.items.map((e) => e.id)).toEqual([ex.id]);
    });
  });
}

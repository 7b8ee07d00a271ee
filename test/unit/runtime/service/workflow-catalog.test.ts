import { describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { WorkflowCatalog } from '../../../../src/runtime/service/index.ts';
import { createMemoryStore } from '../../../../src/store/index.ts';

function catalog(cacheDefinitions: boolean) {
  const store = createMemoryStore();
  const getWorkflow = vi.spyOn(store, 'getWorkflow');
  const assertOpen = vi.fn();
  const wf = new WorkflowCatalog({
    store,
    triggers: { start: vi.fn(), sync: vi.fn(async () => {}), remove: vi.fn(async () => {}) },
    webhooks: { check: vi.fn(), sync: vi.fn(), remove: vi.fn() },
    clock: { now: () => Date.parse('2024-01-01T00:00:00Z') },
    logger: pino({ level: 'silent' }),
    cacheDefinitions,
    assertOpen,
  });
  return { wf, getWorkflow, assertOpen };
}

const definition = { id: 'wf', steps: [{ id: 'a', noop: true }] };

describe('WorkflowCatalog', () => {
  it('numbers versions and checks that the service is open', async () => {
    const { wf, assertOpen } = catalog(true);
    expect((await wf.register(definition)).version).toBe(1);
    expect((await wf.register(definition)).version).toBe(2);
    expect(assertOpen).toHaveBeenCalledTimes(2);
  });

  it('caches frozen definitions for new executions, until the workflow is replaced', async () => {
    const { wf, getWorkflow } = catalog(true);
    await wf.register(definition);
    getWorkflow.mockClear();
    const first = await wf.forExecution('wf');
    expect(await wf.forExecution('wf')).toBe(first);
    expect(Object.isFrozen(first.definition)).toBe(true);
    expect(getWorkflow).toHaveBeenCalledTimes(1);
    await wf.register(definition);
    expect((await wf.forExecution('wf')).version).toBe(2);
  });

  it('reads the store for every execution when another process may replace a workflow', async () => {
    const { wf, getWorkflow } = catalog(false);
    await wf.register(definition);
    getWorkflow.mockClear();
    await wf.forExecution('wf');
    await wf.forExecution('wf');
    expect(getWorkflow).toHaveBeenCalledTimes(2);
  });

  it('refuses unknown workflows', async () => {
    const { wf } = catalog(true);
    await expect(wf.forExecution('nope')).rejects.toMatchObject({ code: 'not_found' });
    await expect(wf.delete('nope')).rejects.toMatchObject({ code: 'not_found' });
  });
});

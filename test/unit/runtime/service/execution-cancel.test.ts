import { describe, expect, it, vi } from 'vitest';
import { StatorError } from '../../../../src/errors.ts';
import { ExecutionCancel } from '../../../../src/runtime/service/index.ts';
import { LiveExecutions } from '../../../../src/runtime/live-executions.ts';
import {
  createMemoryStore,
  pendingStep,
  type ExecutionRecord,
} from '../../../../src/store/index.ts';

const NOT_MINE = Symbol('not mine');

function record(status: ExecutionRecord['status'], node: string | null): ExecutionRecord {
  return {
    id: 'ex1',
    workflowId: 'wf',
    status,
    input: {},
    createdAt: '2024-01-01T00:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    error: null,
    engineId: null,
    node,
    definition: { id: 'wf', steps: [{ id: 'a', kind: 'noop' }] } as never,
    steps: [pendingStep('a')],
  };
}

function setup(localQueue: boolean) {
  const store = createMemoryStore();
  const emit = vi.fn();
  const remove = vi.fn(() => true);
  const request = vi.fn();
  const cancel: ExecutionCancel = new ExecutionCancel({
    executions: new LiveExecutions(),
    created: new Map(),
    queue: { remove },
    store,
    pipeline: { emit },
    bus: { request },
    localQueue,
    node: 'n1',
    notMine: NOT_MINE,
    getExecution: async (id) => (await store.getExecution(id))!,
    clock: { now: () => Date.parse('2024-01-01T00:00:01Z') },
  });
  return { store, emit, remove, request, cancel };
}

describe('ExecutionCancel', () => {
  it('settles a queued run in the store: cancelled, its steps skipped, events emitted', async () => {
    const { store, emit, remove, cancel } = setup(true);
    await store.createExecution(record('pending', null));
    const result = await cancel.cancel('ex1', 'no longer needed');
    expect(result.status).toBe('cancelled');
    expect(result.steps[0]!.status).toBe('skipped');
    expect(remove).toHaveBeenCalledWith('ex1');
    expect(emit.mock.calls.map(([, , e]) => e.type)).toEqual([
      'step.skipped',
      'execution.cancelled',
    ]);
    await expect(cancel.cancel('ex1')).rejects.toMatchObject({ code: 'conflict' });
  });

  it('asks the owner of a run on another node, and stays silent on its own question', async () => {
    const { store, request, cancel } = setup(false);
    await store.createExecution(record('running', 'n2'));
    let ownAnswer: unknown;
    request.mockImplementation(async () => {
      // The owner settles the run; the question also reaches this process's inbound route.
      await store.updateExecution('ex1', { status: 'cancelled' });
      ownAnswer = await cancel.cancelInbound('ex1');
      const data = await store.getExecution('ex1');
      return { json: () => ({ ok: true, data }) };
    });
    const result = await cancel.cancel('ex1');
    expect(result.status).toBe('cancelled');
    expect(ownAnswer).toBe(NOT_MINE);
    // Asked again afterwards, the run is finished: conflict.
    await expect(cancel.cancelInbound('ex1')).rejects.toMatchObject({ code: 'conflict' });
  });

  it('settles a run whose owner does not answer', async () => {
    const { store, request, cancel } = setup(false);
    await store.createExecution(record('running', 'n2'));
    request.mockRejectedValue(new StatorError('no_responders', 'nobody'));
    expect((await cancel.cancel('ex1')).status).toBe('cancelled');
  });
});

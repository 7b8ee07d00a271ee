import { describe, expect, it } from 'vitest';
import {
  checkedStore,
  pendingStep,
  type ExecutionRecord,
  type IdempotencyClaim,
  type SessionRecord,
  type Store,
  type TriggerState,
} from '../../../src/store/index.ts';

/** A Store that records every call and answers each method with `answers[method]`. */
function recordingStore(answers: Partial<Record<keyof Store, unknown>> = {}) {
  const calls: Array<{ method: string; args: unknown[] }> = [];
  const inner = new Proxy({} as Store, {
    get(_target, prop) {
      if (prop === 'kind') return 'fake';
      return async (...args: unknown[]) => {
        calls.push({ method: String(prop), args });
        return answers[prop as keyof Store];
      };
    },
  });
  return { inner, calls };
}

const T0 = '2026-01-01T00:00:00.000Z';

function execution(stepIds: string[]): ExecutionRecord {
  return {
    id: 'ex_1',
    workflowId: 'w',
    status: 'pending',
    input: {},
    createdAt: T0,
    startedAt: null,
    finishedAt: null,
    error: null,
    engineId: null,
    node: null,
    definition: { id: 'w', env: {}, concurrency: 1, steps: [] },
    steps: stepIds.map(pendingStep),
  };
}

const state: TriggerState = {
  id: 'nightly-cron-0',
  workflowId: 'nightly',
  paused: false,
  lastFireAt: null,
  lastResult: { status: 'started', executionId: 'ex_1' },
  updatedAt: T0,
};

const claim: IdempotencyClaim = {
  scope: 'hook:deploy',
  key: 'k',
  executionId: 'ex_1',
  createdAt: T0,
  expiresAt: '2026-01-01T01:00:00.000Z',
};

describe('checkedStore', () => {
  it('refuses a duplicate step id before the implementation sees the execution', async () => {
    const { inner, calls } = recordingStore();
    const store = checkedStore(inner, { maxLineLength: 100 });
    await expect(store.createExecution(execution(['a', 'b', 'a']))).rejects.toMatchObject({
      code: 'invalid_argument',
      details: { issues: [{ path: 'steps', message: "duplicate step 'a'" }] },
    });
    expect(calls).toEqual([]);
    await store.createExecution(execution(['a', 'b']));
    expect(calls.map((c) => c.method)).toEqual(['createExecution']);
  });

  it('refuses malformed claims and empty ids before the implementation', async () => {
    const { inner, calls } = recordingStore();
    const store = checkedStore(inner, { maxLineLength: 100 });
    await expect(
      store.claimIdempotencyKey({ ...claim, key: 'x'.repeat(257) }),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(store.putTriggerState({ ...state, id: '' })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await expect(store.putSession({ id: '' } as SessionRecord)).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    expect(calls).toEqual([]);
  });

  it('copies trigger states and claims going in and coming out', async () => {
    const { inner, calls } = recordingStore({
      getTriggerState: state,
      claimIdempotencyKey: { claim, created: false },
    });
    const store = checkedStore(inner, { maxLineLength: 100 });
    await store.putTriggerState(state);
    const passed = calls[0]!.args[0] as TriggerState;
    expect(passed).toEqual(state);
    expect(passed).not.toBe(state);
    expect(passed.lastResult).not.toBe(state.lastResult);
    const got = await store.getTriggerState(state.id);
    expect(got).toEqual(state);
    expect(got).not.toBe(state);
    const outcome = await store.claimIdempotencyKey(claim);
    expect(outcome).toEqual({ claim, created: false });
    expect(outcome.claim).not.toBe(claim);
    expect(calls[2]!.args[0]).not.toBe(claim);
  });

  it('cuts log lines over the limit and passes short batches through as they are', async () => {
    const { inner, calls } = recordingStore();
    const store = checkedStore(inner, { maxLineLength: 4 });
    const short = [{ stepId: 'a', stream: 'stdout' as const, line: 'abcd', ts: T0 }];
    await store.appendLogs('ex_1', short);
    expect(calls[0]!.args[1]).toBe(short);
    await store.appendLogs('ex_1', [...short, { ...short[0]!, line: 'abcdefg' }]);
    expect(calls[1]!.args[1]).toEqual([
      short[0],
      { ...short[0], line: 'abcd… [truncated 3 chars]' },
    ]);
  });

  it('closes the implementation once and refuses every later call', async () => {
    const { inner, calls } = recordingStore();
    const store = checkedStore(inner, { maxLineLength: 100 });
    expect(store.kind).toBe('fake');
    await store.close();
    await store.close();
    await expect(store.putStep('ex_1', pendingStep('a'))).rejects.toMatchObject({
      code: 'unavailable',
    });
    await expect(store.createExecution(execution(['a', 'a']))).rejects.toMatchObject({
      code: 'unavailable',
    });
    expect(calls.map((c) => c.method)).toEqual(['close']);
  });
});

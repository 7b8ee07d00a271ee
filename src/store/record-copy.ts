/**
 * Copies of records going into and out of a store, with every field present. JSON fields go
 * through JSON, so no caller can change a stored record through a reference it holds.
 * Execution and step copies are made by the stores that keep records as objects (memory,
 * JetStream); trigger-state, session and claim copies by checkedStore, once for every store.
 * @module
 */
import type {
  ExecutionSummary,
  IdempotencyClaim,
  SessionRecord,
  StepRecord,
  TriggerState,
} from './roles/index.ts';

/** A deep copy through JSON (undefined stays undefined). */
export const jsonCopy = <T>(value: T): T =>
  value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);

/** A copy of a step record with every field present. */
export function copyStep(s: StepRecord): StepRecord {
  return {
    id: s.id,
    status: s.status,
    attempts: s.attempts,
    exitCode: s.exitCode ?? null,
    startedAt: s.startedAt ?? null,
    finishedAt: s.finishedAt ?? null,
    error: s.error ?? null,
    ...durableFields(s),
    ...(s.outputs !== undefined && { outputs: jsonCopy(s.outputs) }),
    ...(s.childExecutionId !== undefined && { childExecutionId: s.childExecutionId }),
    ...(s.items !== undefined && { items: s.items }),
    ...(s.reused === true && { reused: true as const }),
    ...(s.approval !== undefined && { approval: jsonCopy(s.approval) }),
    ...(s.artifacts !== undefined && { artifacts: s.artifacts.map((a) => ({ ...a })) }),
  };
}

/** The durable-time and lost-attempt fields of a step, present only when set. */
export function durableFields(
  s: Pick<StepRecord, 'lostAttempts' | 'attemptStartedAt' | 'retryAt'>,
): Pick<StepRecord, 'lostAttempts' | 'attemptStartedAt' | 'retryAt'> {
  return {
    ...(s.lostAttempts ? { lostAttempts: s.lostAttempts } : {}),
    ...(s.attemptStartedAt ? { attemptStartedAt: s.attemptStartedAt } : {}),
    ...(s.retryAt ? { retryAt: s.retryAt } : {}),
  };
}

/** A copy of an execution summary with every field present. */
export function copySummary(e: ExecutionSummary): ExecutionSummary {
  return {
    id: e.id,
    workflowId: e.workflowId,
    status: e.status,
    input: jsonCopy(e.input ?? {}),
    createdAt: e.createdAt,
    startedAt: e.startedAt ?? null,
    finishedAt: e.finishedAt ?? null,
    error: e.error == null ? null : jsonCopy(e.error),
    engineId: e.engineId ?? null,
    node: e.node ?? null,
    ...(e.parent != null && {
      parent: {
        executionId: e.parent.executionId,
        stepId: e.parent.stepId,
        ...(e.parent.attempt !== undefined && { attempt: e.parent.attempt }),
      },
    }),
    ...(e.retryOf != null && { retryOf: e.retryOf }),
    ...(e.paused != null && { paused: jsonCopy(e.paused) }),
    ...(e.priority != null && { priority: e.priority }),
    ...(e.waiting != null && { waiting: jsonCopy(e.waiting) }),
  };
}

/** The record of a step that has not run yet. */
export function pendingStep(id: string): StepRecord {
  return {
    id,
    status: 'pending',
    attempts: 0,
    exitCode: null,
    startedAt: null,
    finishedAt: null,
    error: null,
  };
}

/** A copy of a trigger state with every field present. */
export function copyTriggerState(s: TriggerState): TriggerState {
  let lastResult: TriggerState['lastResult'] = null;
  if (s.lastResult != null) {
    lastResult = { status: s.lastResult.status };
    if (s.lastResult.executionId !== undefined) lastResult.executionId = s.lastResult.executionId;
    if (s.lastResult.reason !== undefined) lastResult.reason = s.lastResult.reason;
  }
  return {
    id: s.id,
    workflowId: s.workflowId,
    paused: s.paused === true,
    lastFireAt: s.lastFireAt ?? null,
    lastResult,
    updatedAt: s.updatedAt,
  };
}

/** A copy of a claim with exactly its five fields. */
export function copyClaim(c: IdempotencyClaim): IdempotencyClaim {
  return {
    scope: c.scope,
    key: c.key,
    executionId: c.executionId,
    createdAt: c.createdAt,
    expiresAt: c.expiresAt,
  };
}

/** A copy of a session record with every field present. */
export function copySessionRecord(r: SessionRecord): SessionRecord {
  return {
    id: r.id,
    node: r.node ?? null,
    definition: JSON.parse(JSON.stringify(r.definition)) as SessionRecord['definition'],
    status: r.status,
    activity: r.activity ?? null,
    pid: r.pid ?? null,
    restarts: r.restarts ?? 0,
    recentRestarts: [...(r.recentRestarts ?? [])],
    exitCode: r.exitCode ?? null,
    lastError: r.lastError ?? null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    startedAt: r.startedAt ?? null,
    awaitingSince: r.awaitingSince ?? null,
    ...(r.hostProcess && { hostProcess: { ...r.hostProcess } }),
  };
}

/** Orders records by id. */
export function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Copies of records going into and out of a store, with every field present. JSON fields go
 * through JSON, so no caller can change a stored record through a reference it holds.
 * Shared by the stores that keep records as objects (memory, JetStream).
 * @module
 */
import type { ExecutionSummary, StepRecord } from './types.ts';

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

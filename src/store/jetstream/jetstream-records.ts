/**
 * The values the JetStream store keeps for executions and steps, and the copies it makes of
 * records going in and out (JSON fields through JSON, as every store does).
 * @module
 */
import { jsonCopy } from '../record-copy.ts';
import type { ChunkRef } from './jetstream-chunks.ts';
import type { StepKeys } from './jetstream-step-keys.ts';
import {
  EXECUTION_PATCH_FIELDS,
  FINAL_EXECUTION_STATUSES,
  type ExecutionPatch,
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionSummary,
  type StepRecord,
} from '../roles/index.ts';

/** An execution whose steps and chunks are still being written: invisible to every read. */
export interface CreatingExecution {
  creating: true;
}

/** The summary key's value once the execution is fully written. */
export interface ReadyExecution {
  creating?: undefined;
  summary: ExecutionSummary;
  /** Where the definition's chunks are; absent when the definition is inline. */
  definition?: ChunkRef;
  /** A small definition kept in the summary itself: no chunks to write, nor to read back. */
  inlineDefinition?: ExecutionRecord['definition'];
  /** Steps ever added: the next new step's ordinal. */
  stepCount: number;
  /** Which step keys the run has; absent in summaries written before keyed reads (scanned). */
  stepKeys?: StepKeys;
}

/** The value under `<executionId>` in the executions bucket. */
export type StoredExecution = CreatingExecution | ReadyExecution;

/** A step record with its place in the execution. */
export interface StoredStep extends StepRecord {
  n: number;
}

export { copyStep, copySummary } from '../record-copy.ts';

/** True when the patch sets at least one field. */
export function patchesAnything(patch: ExecutionPatch): boolean {
  return EXECUTION_PATCH_FIELDS.some((f) => patch[f] !== undefined);
}

/** The summary with the patch applied (a new object). */
export function applyPatch(s: ExecutionSummary, patch: ExecutionPatch): ExecutionSummary {
  const next = { ...s };
  if (patch.status !== undefined) next.status = patch.status;
  if (patch.startedAt !== undefined) next.startedAt = patch.startedAt;
  if (patch.finishedAt !== undefined) next.finishedAt = patch.finishedAt;
  if (patch.error !== undefined) next.error = patch.error === null ? null : jsonCopy(patch.error);
  if (patch.engineId !== undefined) next.engineId = patch.engineId;
  if (patch.node !== undefined) next.node = patch.node;
  if (patch.paused === null) delete next.paused;
  else if (patch.paused !== undefined) next.paused = jsonCopy(patch.paused);
  if (patch.waiting === null) delete next.waiting;
  else if (patch.waiting !== undefined) next.waiting = jsonCopy(patch.waiting);
  return next;
}

/** True for statuses after which an execution never changes again. */
export function isFinal(status: ExecutionStatus): boolean {
  return FINAL_EXECUTION_STATUSES.includes(status);
}

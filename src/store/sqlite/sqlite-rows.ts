/**
 * Row shapes of the SQLite schema and their mapping to store records, plus the column lists
 * and status sets the SQLite store builds its statements from.
 * @module
 */
import type { WireError } from '../../errors.ts';
import type { WorkflowDefinition } from '../../workflow/index.ts';
import {
  FINAL_EXECUTION_STATUSES,
  type ExecutionPatch,
  type ExecutionStatus,
  type ExecutionSummary,
  type FlowWaitInfo,
  type LogLine,
  type PauseInfo,
  type StepApproval,
  type StepArtifact,
  type StepRecord,
  type WorkflowRecord,
} from '../roles/index.ts';
import { durableFields } from '../record-copy.ts';

/** A row of `workflows`. */
export interface WorkflowRow {
  id: string;
  definition: string;
  source: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

/** A row of `executions` (definition only in full reads). */
export interface ExecutionRow {
  id: string;
  workflow_id: string;
  status: ExecutionStatus;
  input: string;
  /** JSON of the parent link (child runs only). */
  parent: string | null;
  /** The run this one retries (retry runs only). */
  retry_of: string | null;
  /** JSON of the pause (paused runs only). */
  paused: string | null;
  /** The queue priority (null: the default). */
  priority: number | null;
  /** JSON of why a per-key limit holds the run (held pending runs only). */
  waiting: string | null;
  definition?: string;
  error: string | null;
  engine_id: string | null;
  node: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** A row of `steps` without its keys. */
export interface StepRow {
  step_id: string;
  status: StepRecord['status'];
  attempts: number;
  exit_code: number | null;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  lost_attempts: number;
  attempt_started_at: string | null;
  retry_at: string | null;
  outputs: string | null;
  child_execution_id: string | null;
  items: number | null;
  approval: string | null;
  /** 1: kept from the run a retry run retries. */
  reused: number | null;
  artifacts: string | null;
}

/** A row of `logs` without its keys. */
export interface LogRow {
  step_id: string;
  stream: LogLine['stream'];
  line: string;
  ts: string;
  attempt: number | null;
}

const SUMMARY_COLUMNS =
  'e.id, e.workflow_id, e.status, p.input, p.parent, p.retry_of, e.error, e.engine_id, e.node, ' +
  'e.created_at, e.started_at, e.finished_at, e.paused, p.priority, e.waiting';
const EXECUTION_FROM = 'FROM executions e JOIN execution_payloads p ON p.execution_id = e.id';

/** Selects execution summaries (table alias `e`); append WHERE / ORDER BY. */
export const SELECT_SUMMARIES = `SELECT ${SUMMARY_COLUMNS} ${EXECUTION_FROM}`;

/** Selects whole executions with their definition (table alias `e`); append WHERE / ORDER BY. */
export const SELECT_EXECUTIONS = `SELECT ${SUMMARY_COLUMNS}, p.definition ${EXECUTION_FROM}`;

/** Columns of a step, for SELECT lists. */
export const STEP_COLUMNS =
  'step_id, status, attempts, exit_code, started_at, finished_at, error, lost_attempts, ' +
  'attempt_started_at, retry_at, outputs, child_execution_id, items, approval, reused, artifacts';

const ALL_STATUSES: Record<ExecutionStatus, true> = {
  pending: true,
  running: true,
  awaiting_approval: true,
  rolling_back: true,
  completed: true,
  failed: true,
  cancelled: true,
  timed_out: true,
  blocked: true,
};

/** Statuses that are not final (an index range each, unlike NOT IN). */
export const UNFINISHED_STATUSES = (Object.keys(ALL_STATUSES) as ExecutionStatus[]).filter(
  (s) => !FINAL_EXECUTION_STATUSES.includes(s),
);

/** Patchable execution fields, in statement order, with their columns. */
export const PATCH_COLUMNS: ReadonlyArray<readonly [keyof ExecutionPatch, string]> = [
  ['status', 'status'],
  ['startedAt', 'started_at'],
  ['finishedAt', 'finished_at'],
  ['error', 'error'],
  ['engineId', 'engine_id'],
  ['node', 'node'],
  ['paused', 'paused'],
  ['waiting', 'waiting'],
];

/** The SQL value of one patch field. */
export function patchValue(field: keyof ExecutionPatch, value: unknown): unknown {
  if (field === 'error' || field === 'paused' || field === 'waiting') {
    return value === null ? null : JSON.stringify(value);
  }
  return value;
}

/** A workflow row as a record (`source` only when stored). */
export function toWorkflow(r: WorkflowRow): WorkflowRecord {
  const rec: WorkflowRecord = {
    id: r.id,
    definition: JSON.parse(r.definition) as WorkflowDefinition,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
  if (r.source !== null) rec.source = r.source;
  return rec;
}

/** An execution row as a summary. */
export function toSummary(r: ExecutionRow): ExecutionSummary {
  return {
    id: r.id,
    workflowId: r.workflow_id,
    status: r.status,
    input: JSON.parse(r.input) as Record<string, unknown>,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    error: r.error === null ? null : (JSON.parse(r.error) as WireError),
    engineId: r.engine_id,
    node: r.node,
    ...(r.parent !== null && { parent: JSON.parse(r.parent) as ExecutionSummary['parent'] }),
    ...(r.retry_of != null && { retryOf: r.retry_of }),
    ...(r.paused != null && { paused: JSON.parse(r.paused) as PauseInfo }),
    ...(r.priority != null && { priority: r.priority }),
    ...(r.waiting != null && { waiting: JSON.parse(r.waiting) as FlowWaitInfo }),
  };
}

/** A step row as a record. */
export function toStep(r: StepRow): StepRecord {
  return {
    id: r.step_id,
    status: r.status,
    attempts: r.attempts,
    exitCode: r.exit_code,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    error: r.error,
    ...durableFields({
      lostAttempts: r.lost_attempts,
      attemptStartedAt: r.attempt_started_at,
      retryAt: r.retry_at,
    }),
    ...(r.outputs !== null && { outputs: JSON.parse(r.outputs) as Record<string, unknown> }),
    ...(r.child_execution_id !== null && { childExecutionId: r.child_execution_id }),
    ...(r.items !== null && { items: r.items }),
    ...(r.approval != null && { approval: JSON.parse(r.approval) as StepApproval }),
    ...(r.reused === 1 && { reused: true as const }),
    ...(r.artifacts != null && { artifacts: JSON.parse(r.artifacts) as StepArtifact[] }),
  };
}

/** A log row as a line. */
export function toLogLine(r: LogRow): LogLine {
  const line: LogLine = { stepId: r.step_id, stream: r.stream, line: r.line, ts: r.ts };
  if (r.attempt !== null) line.attempt = r.attempt;
  return line;
}

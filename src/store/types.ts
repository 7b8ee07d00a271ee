/**
 * The store seam: workflows, execution records, step states and bounded logs. Implemented on
 * SQLite (embedded), in memory (tests, ephemeral) and on JetStream KV (cluster).
 * All timestamps are ISO-8601 strings.
 * @module
 */
import type { WireError } from '../errors.ts';
import type { WorkflowDefinition } from '../workflow/types.ts';
import type { SessionDefinition, SessionActivity, SessionStatus } from '../sessions/types.ts';

/** Run states of an execution. */
export type ExecutionStatus =
  'pending' | 'running' | 'awaiting_approval' | 'completed' | 'failed' | 'cancelled' | 'timed_out';

/** Statuses after which an execution never changes again. */
export const FINAL_EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'completed',
  'failed',
  'cancelled',
  'timed_out',
];

/** States of one step. */
export type StepStatus =
  | 'pending'
  | 'waiting'
  | 'running'
  | 'retrying'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled'
  | 'timed_out'
  | 'interrupted';

/** A stored workflow definition. */
export interface WorkflowRecord {
  id: string;
  definition: WorkflowDefinition;
  /** The text it was registered from (YAML or JSON), when there was one. */
  source?: string;
  /** Incremented on every replace, starting at 1. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** The stored state of one step of one execution. */
export interface StepRecord {
  id: string;
  status: StepStatus;
  attempts: number;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

/** The stored execution record (without steps). */
export interface ExecutionSummary {
  id: string;
  workflowId: string;
  status: ExecutionStatus;
  input: Record<string, unknown>;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: WireError | null;
  /** Engine that ran it, and the process (node) it ran on. */
  engineId: string | null;
  node: string | null;
}

/** An execution record with the definition it runs and every step's state. */
export interface ExecutionRecord extends ExecutionSummary {
  /** The definition as it was when the run was created (runs outlive edits and deletes). */
  definition: WorkflowDefinition;
  /** Steps in definition order. */
  steps: StepRecord[];
}

/** Fields of an execution that change while it runs. */
export type ExecutionPatch = Partial<
  Pick<ExecutionSummary, 'status' | 'startedAt' | 'finishedAt' | 'error' | 'engineId' | 'node'>
>;

/** One line of step output. */
export interface LogLine {
  stepId: string;
  stream: 'stdout' | 'stderr';
  line: string;
  ts: string;
}

/** Logs of one execution: kept lines in order, and how many were dropped per step. */
export interface ExecutionLogs {
  lines: LogLine[];
  /** stepId → number of earlier lines dropped because of the per-step bound. */
  truncated: Record<string, number>;
}

/** A page of a list. `nextCursor` is opaque; null at the end. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Filters of the execution list; newest first. */
export interface ExecutionQuery {
  workflowId?: string;
  status?: ExecutionStatus;
  /** @default 50, at most 500 */
  limit?: number;
  cursor?: string;
}

/** Paging of the workflow list; ordered by id. */
export interface WorkflowQuery {
  limit?: number;
  cursor?: string;
}

/** The store interface. */
export interface Store {
  readonly kind: string;

  putWorkflow(record: WorkflowRecord): Promise<void>;
  getWorkflow(id: string): Promise<WorkflowRecord | undefined>;
  listWorkflows(query?: WorkflowQuery): Promise<Page<WorkflowRecord>>;
  /** Returns false when there was none. Past executions stay. */
  deleteWorkflow(id: string): Promise<boolean>;

  /** Creates an execution with its steps; throws ConflictError when the id exists. */
  createExecution(record: ExecutionRecord): Promise<void>;
  /** Updates the run fields; throws NotFoundError for an unknown id. */
  updateExecution(id: string, patch: ExecutionPatch): Promise<void>;
  /** Writes one step's state (upsert by execution id + step id). */
  putStep(executionId: string, step: StepRecord): Promise<void>;
  getExecution(id: string): Promise<ExecutionRecord | undefined>;
  listExecutions(query?: ExecutionQuery): Promise<Page<ExecutionSummary>>;
  /** Executions whose status is not final, for rehydration after a restart. */
  listUnfinishedExecutions(): Promise<ExecutionRecord[]>;

  /** Appends lines; keeps at most the bound per step, dropping the oldest and counting them. */
  appendLogs(executionId: string, lines: LogLine[]): Promise<void>;
  getLogs(executionId: string, opts?: { stepId?: string }): Promise<ExecutionLogs>;

  /** The persisted state of one trigger, if any. */
  getTriggerState(triggerId: string): Promise<TriggerState | undefined>;
  /** Writes (upserts) a trigger's state. */
  putTriggerState(state: TriggerState): Promise<void>;
  /** Every stored trigger state (bounded by the number of declared triggers). */
  listTriggerStates(): Promise<TriggerState[]>;
  /** Removes a trigger's state (its workflow was deleted or no longer declares it). */
  deleteTriggerState(triggerId: string): Promise<void>;

  /**
   * Claims an idempotency key atomically: when an unexpired claim of `scope`+`key` exists,
   * returns it with `created: false`; otherwise stores this one and returns `created: true`.
   * Expired claims are replaced (and may be purged at any time). A stored claim is expired when
   * its `expiresAt` is not later than the new claim's `createdAt` (the caller's clock). Throws
   * InvalidArgumentError for an empty or over-256-character scope/key, an empty executionId, or
   * times that are not ISO-8601 with `expiresAt` after `createdAt`.
   */
  claimIdempotencyKey(
    claim: IdempotencyClaim,
  ): Promise<{ claim: IdempotencyClaim; created: boolean }>;

  /** Writes (upserts) a session's definition and last known state. */
  putSession(record: SessionRecord): Promise<void>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  /** Every stored session, ordered by id (bounded by the sessions' limit). */
  listSessions(): Promise<SessionRecord[]>;
  /** Returns false when there was none. */
  deleteSession(id: string): Promise<boolean>;

  close(): Promise<void>;
}

/** What a trigger remembers across restarts. */
export interface TriggerState {
  /** Stable id: `<workflowId>.<kind>.<index>` made subject-safe, e.g. `nightly-cron-0`. */
  id: string;
  workflowId: string;
  /** Paused by a person (survives restarts). */
  paused: boolean;
  /** Scheduled time of the last fire (cron) or time of the last fire (others). */
  lastFireAt: string | null;
  /** Outcome of the last fire. */
  lastResult: {
    status: 'started' | 'skipped' | 'queued' | 'failed';
    executionId?: string;
    reason?: string;
  } | null;
  updatedAt: string;
}

/** One idempotency claim: the first run started for a key within its retention window. */
export interface IdempotencyClaim {
  /** What the key is scoped to, e.g. `hook:<path>`. */
  scope: string;
  key: string;
  executionId: string;
  createdAt: string;
  expiresAt: string;
}

/** A session's definition and last known state, as stored. */
export interface SessionRecord {
  id: string;
  /** The process (node) that runs it. */
  node: string | null;
  definition: SessionDefinition;
  status: SessionStatus;
  activity: SessionActivity | null;
  pid: number | null;
  /** Automatic restarts so far. */
  restarts: number;
  /** Times of the automatic restarts within the restart window. */
  recentRestarts: string[];
  exitCode: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  awaitingSince: string | null;
}

/** Options every store implementation accepts. */
export interface StoreLimits {
  /** Lines kept per step. @default 1000 */
  maxLogLinesPerStep: number;
  /** Characters kept per line; longer lines are cut and marked. @default 8192 */
  maxLineLength: number;
}

/** Default limits. */
export const DEFAULT_STORE_LIMITS: StoreLimits = { maxLogLinesPerStep: 1000, maxLineLength: 8192 };

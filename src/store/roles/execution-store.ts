/**
 * The executions role of the Store: execution records with the definition they run and the
 * state of every step.
 * @module
 */
import type { WireError } from '../../errors.ts';
import type { WorkflowDefinition } from '../../workflow/index.ts';
import type { Page } from './page.ts';

/** Run states of an execution. */
export type ExecutionStatus =
  | 'pending'
  | 'running'
  | 'awaiting_approval'
  | 'rolling_back'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'timed_out'
  /** Refused by a policy before it ran (src/plans): its findings are in `error.details`. */
  | 'blocked';

/** Statuses after which an execution never changes again. */
export const FINAL_EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'completed',
  'failed',
  'cancelled',
  'timed_out',
  'blocked',
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

/** The stored state of one step of one execution. */
export interface StepRecord {
  id: string;
  status: StepStatus;
  attempts: number;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  /**
   * Attempts whose process was lost with its host (machine reboot, host killed) and that ran
   * again without counting against the retry policy. Absent means 0.
   */
  lostAttempts?: number;
  /** Start of the current (last) attempt; `startedAt` is the first attempt's. Durable time. */
  attemptStartedAt?: string | null;
  /** While `retrying`: when the next attempt is due. Durable time. */
  retryAt?: string | null;
  /**
   * What a succeeded step handed to later steps (`$STATOR_OUTPUT` or `outputs: json`): a JSON
   * object of at most 1 MiB. Absent when it wrote none. A forEach step's is the list of its
   * instances' outputs (a JSON array, same bound).
   */
  outputs?: Record<string, unknown>;
  /** A forEach step: the number of items; its instances are the steps `<id>[<n>]`. */
  items?: number;
  /** A `workflow` step: the child run it started (absent until it started one). */
  childExecutionId?: string;
  /**
   * A retry run's step kept from the run it retries (`retryOf`): the record is that run's, the
   * step never ran here. Absent on every other step.
   */
  reused?: true;
  /** An `approval` step: what it waits for, until when, and the decision once made. */
  approval?: StepApproval;
  /**
   * Files kept from the step's working directory (`artifacts:`), by its last attempt that
   * collected any; `refused` entries were matched but not kept. Absent when it declares none.
   */
  artifacts?: StepArtifact[];
}

/** One artifact of a step: kept (`sha256` set) or refused (`refused` says why). */
export interface StepArtifact {
  /** `<stepId>/<path>`, the name to download it by. */
  name: string;
  /** Bytes (0 when refused before it was read). */
  size: number;
  /** Hex SHA-256 of the kept bytes. */
  sha256?: string;
  /** Why it was not kept. */
  refused?: string;
}

/** The approval state of an `approval` step (one per attempt: a retry asks again). */
export interface StepApproval {
  /** The attempt that asked. */
  attempt: number;
  message: string;
  /** Who may decide; absent: anyone. */
  approvers?: string[];
  /** When the step began to wait (ISO-8601). */
  since: string;
  /** When a missing decision rejects it (ISO-8601): durable time, kept across restarts. */
  deadline: string;
  /** Set once, by the first decision (or `by: 'timeout'` at the deadline). */
  decision?: ApprovalDecision;
}

/** Who decided an approval, when and why. */
export interface ApprovalDecision {
  approved: boolean;
  /** The approver's name, or `timeout`. */
  by: string;
  /** ISO-8601. */
  at: string;
  comment?: string;
}

/** The step of another run that started this one as its child (`workflow` steps). */
export interface ParentLink {
  executionId: string;
  stepId: string;
  /** The attempt of that step that started this run. */
  attempt?: number;
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
  /** Set on a child run: the run and step that started it. */
  parent?: ParentLink;
  /** Set on a retry run (`execution.retry`): the run it retries. */
  retryOf?: string;
  /** Set while the run is paused (`execution.pause`, or a `pauseBefore` step): who, when, why. */
  paused?: PauseInfo;
  /** Its priority in the work queue, 1 (highest) to 5; absent: the default, 3. */
  priority?: number;
  /** Set while a per-key limit (`runConcurrency`, `rateLimit`, `debounce`) holds the pending run. */
  waiting?: FlowWaitInfo;
}

/** Why a pending run waits: the limit, the key's value, since when (ISO-8601). */
export interface FlowWaitInfo {
  reason: 'runConcurrency' | 'rateLimit' | 'debounce';
  key: string;
  since: string;
}

/** Who paused a run, when and why (`request`: a pause command; `breakpoint`: `pauseBefore`). */
export interface PauseInfo {
  /** ISO-8601. */
  at: string;
  by: string;
  reason: 'request' | 'breakpoint';
  /** The step a breakpoint holds (reason `breakpoint`). */
  stepId?: string;
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
> & {
  /** Pauses the run (a PauseInfo) or resumes it (null). */
  paused?: PauseInfo | null;
  /** A per-key limit holds the run (a FlowWaitInfo) or let it go (null). */
  waiting?: FlowWaitInfo | null;
};

/**
 * Every field an ExecutionPatch can set, in a fixed order: what a store applies and what a
 * queued patch may carry (the outbox tracks each field's latest writer by this list).
 */
export const EXECUTION_PATCH_FIELDS = [
  'status',
  'startedAt',
  'finishedAt',
  'error',
  'engineId',
  'node',
  'paused',
  'waiting',
] as const satisfies readonly (keyof ExecutionPatch)[];

/** Filters of the execution list; newest first. */
export interface ExecutionQuery {
  workflowId?: string;
  status?: ExecutionStatus;
  /** @default 50, at most 500 */
  limit?: number;
  cursor?: string;
}

/**
 * What one `pruneExecutions` call removes. Only finished executions are ever removed: a final
 * status and `finishedAt` set. They are taken oldest first (by `finishedAt`, then id), and one is
 * removed when it finished before `finishedBefore`, or when at least `keepNewest` finished
 * executions finished after it (ties by id). With neither rule set, nothing is removed.
 */
export interface PruneQuery {
  /** ISO-8601 instant: finished executions whose `finishedAt` is earlier are removed. */
  finishedBefore?: string;
  /** Finished executions kept whatever their age, the most recently finished ones. */
  keepNewest?: number;
  /** Most executions this call removes (1 to MAX_PRUNE_LIMIT); the caller calls again for more. */
  limit: number;
}

/** Largest `limit` of one pruneExecutions call. */
export const MAX_PRUNE_LIMIT = 10_000;

/** Stores executions and their steps. */
export interface ExecutionStore {
  /**
   * Creates an execution with its steps; throws ConflictError when the id exists and
   * InvalidArgumentError when two steps share an id.
   */
  createExecution(record: ExecutionRecord): Promise<void>;
  /** Updates the run fields; throws NotFoundError for an unknown id. */
  updateExecution(id: string, patch: ExecutionPatch): Promise<void>;
  /** Writes one step's state (upsert by execution id + step id); new steps go last. */
  putStep(executionId: string, step: StepRecord): Promise<void>;
  getExecution(id: string): Promise<ExecutionRecord | undefined>;
  listExecutions(query?: ExecutionQuery): Promise<Page<ExecutionSummary>>;
  /** Executions whose status is not final, for rehydration after a restart. */
  listUnfinishedExecutions(): Promise<ExecutionRecord[]>;
  /**
   * Removes finished executions under `query` (see PruneQuery) with everything stored for them:
   * steps, payloads, logs and log counters. Never touches one that is not finished. Resolves to
   * how many it removed: fewer than `limit` means none is left to remove.
   */
  pruneExecutions(query: PruneQuery): Promise<number>;
}

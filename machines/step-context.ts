/**
 * What a step machine is given, keeps and ends with: its input, its context, its `attempt.*`
 * reports to its execution and its output, with the inputs of the actors it invokes (`runAttempt`,
 * `checkCondition`, `expandItems`). step.machine.ts re-exports the public ones, so importers keep
 * one entry point.
 * @module
 */
import type { StepDefinition } from '../src/workflow/types.ts';
import type { StepStatus } from '../src/store/index.ts';

/** What the step needs to run one step. */
export interface StepInput {
  executionId: string;
  workflowId: string;
  step: StepDefinition;
  /** Step timeout when the step sets none. */
  defaultTimeoutMs?: number;
  /** Attempts already used (rehydration of an interrupted step). @default 0 */
  attemptsUsed?: number;
  /** The last of those attempts was lost with the process running it: it runs again. */
  interrupted?: boolean;
  /** Attempts lost so far (they do not count against the retry policy). @default 0 */
  lostAttempts?: number;
  /** Where a previous server left the step, when it resumes mid-attempt or mid-backoff. */
  resumed?: ResumedAttempt;
  /** Outputs of the run's steps that succeeded so far, by step id (read by the attempt). */
  outputs?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** A step with `if`: the run's step statuses by definition index, and the index by id. */
  statuses?: readonly StepStatus[];
  stepIndex?: Readonly<Record<string, number>>;
  /** A forEach instance: its item and index (its `step` is the instance's, id `x[n]`). */
  item?: StepItem;
}

/** The item of one instance of a forEach step, and its index in the list. */
export interface StepItem {
  value: unknown;
  index: number;
}

/** What the `checkCondition` actor gets: the step and what its condition may read. */
export interface ConditionInput {
  executionId: string;
  workflowId: string;
  step: StepDefinition;
  outputs: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  statuses: readonly StepStatus[];
  stepIndex: Readonly<Record<string, number>>;
}

/**
 * A step picked up where a previous server left it: its attempt `attemptsUsed + 1` running for
 * `elapsedMs` already, or its next attempt due in `remainingMs`.
 */
export type ResumedAttempt =
  { state: 'running'; elapsedMs: number } | { state: 'retrying'; remainingMs: number };

/** Lost attempts after which a step stays `interrupted`. */
export const MAX_LOST_ATTEMPTS = 3;

/** The error of an attempt whose process was lost (one wording wherever it is reported). */
export const LOST_PROCESS = 'the process running this step was lost';

/** What one attempt of the `runAttempt` actor receives. */
export interface AttemptInput {
  executionId: string;
  workflowId: string;
  step: StepDefinition;
  attempt: number;
  /** Time the attempt already ran under a previous server (0 for a fresh attempt). */
  elapsedMs: number;
  /** The attempt was started by a previous server: re-attach to it, never start a copy. */
  resumed: boolean;
  /** Outputs of the run's steps that succeeded so far, by step id. */
  outputs: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** The item of a forEach instance. */
  item?: StepItem;
}

/** What one attempt of the `runAttempt` actor resolves with. */
export interface AttemptResult {
  ok: boolean;
  exitCode: number | null;
  error?: string;
  /** The failure must not be retried (e.g. the program does not exist). */
  nonRetryable?: boolean;
  /** The process was lost with its host: the attempt does not count, the step runs again. */
  lost?: boolean;
  /** What a succeeded attempt handed to later steps. */
  outputs?: Record<string, unknown>;
}

/** Final statuses of a step. */
export type StepFinalStatus = Extract<
  StepStatus,
  'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'timed_out' | 'interrupted'
>;

/** The step's output, read by the parent from `xstate.done.actor.<id>`. */
export interface StepOutput {
  stepId: string;
  status: StepFinalStatus;
  attempts: number;
  exitCode: number | null;
  error: string | null;
  lostAttempts: number;
  /** A succeeded step's outputs, when it wrote any. */
  outputs?: Record<string, unknown>;
  /**
   * A forEach step whose list was made (status `succeeded`): its items. The execution runs one
   * instance per item, and the step ends when they have.
   */
  items?: unknown[];
}

/** Step context (JSON-serialisable). */
export interface StepMachineContext extends StepInput {
  attempt: number;
  lostAttempts: number;
  /** Time the current attempt ran before this server took it (resumed attempts only). */
  elapsedMs: number;
  /** The current attempt was started by a previous server. */
  resuming: boolean;
  exitCode: number | null;
  error: string | null;
  nonRetryable: boolean;
  retryDelayMs: number;
  status: StepFinalStatus | null;
  /** What the last attempt handed to later steps (a succeeded attempt only). */
  result: Record<string, unknown> | null;
  /** A forEach step's items, once its list is made. */
  items: unknown[] | null;
}

/** Events a step sends its parent. */
export type StepReport =
  | { type: 'attempt.started'; stepId: string; attempt: number; resumed: boolean }
  | { type: 'attempt.retrying'; stepId: string; attempt: number; delayMs: number; error: string }
  | { type: 'attempt.lost'; stepId: string; attempt: number; lostAttempts: number };

/** The context a step starts with. */
export function createStepContext(input: StepInput): StepMachineContext {
  return {
    ...input,
    attempt: input.attemptsUsed ?? 0,
    lostAttempts: input.lostAttempts ?? 0,
    elapsedMs: input.resumed?.state === 'running' ? input.resumed.elapsedMs : 0,
    resuming: input.resumed?.state === 'running',
    exitCode: null,
    error: null,
    nonRetryable: false,
    retryDelayMs: input.resumed?.state === 'retrying' ? input.resumed.remainingMs : 0,
    status: null,
    result: null,
    items: null,
  };
}

/** The step's timeout: its own, else the run's default. */
export function timeoutOf(context: StepMachineContext): number | undefined {
  return context.step.timeoutMs ?? context.defaultTimeoutMs;
}

/** What the current attempt's `runAttempt` actor gets. */
export function attemptInput(context: StepMachineContext): AttemptInput {
  return {
    executionId: context.executionId,
    workflowId: context.workflowId,
    step: context.step,
    attempt: context.attempt,
    elapsedMs: context.elapsedMs,
    resumed: context.resuming,
    outputs: context.outputs ?? {},
    ...(context.item !== undefined && { item: context.item }),
  };
}

/** What `checkCondition` and `expandItems` get: the step and what its expressions may read. */
export function conditionInput(context: StepMachineContext): ConditionInput {
  return {
    executionId: context.executionId,
    workflowId: context.workflowId,
    step: context.step,
    outputs: context.outputs ?? {},
    statuses: context.statuses ?? [],
    stepIndex: context.stepIndex ?? {},
  };
}

/** The step's output when it reaches a final state. */
export function stepOutput(context: StepMachineContext): StepOutput {
  return {
    stepId: context.step.id,
    status: context.status ?? 'failed',
    attempts: context.attempt,
    exitCode: context.exitCode,
    error: context.status === 'succeeded' ? null : context.error,
    lostAttempts: context.lostAttempts,
    ...(context.status === 'succeeded' && context.result !== null && { outputs: context.result }),
    ...(context.status === 'succeeded' && context.items !== null && { items: context.items }),
  };
}

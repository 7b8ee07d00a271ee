/**
 * One step of an execution: waiting → running → (retrying → running)* → succeeded | failed |
 * skipped | cancelled | timed_out; a noop goes waiting → passing → succeeded; an approval step
 * waiting → awaitingApproval → succeeded (approved) | failed (rejected, or its deadline passed)
 * | cancelled; a forEach step goes
 * waiting → expanding → expanded (its list made: the execution runs its instances, each a step
 * machine of its own). The step's work is
 * the `runAttempt` actor, supplied by the runtime; a timeout or a cancel leaves `running`, which
 * stops that actor and so kills its process group.
 *
 * Restarts of the server: a step resumed `running` goes on with the same attempt (the runtime
 * re-attaches to its process, or sleeps what is left) and its timeout counts the time already
 * spent; one resumed `retrying` waits what is left of its backoff. An attempt whose process was
 * lost (its host died too) is `interrupted`: the step runs again without using up a retry
 * attempt, at most MAX_LOST_ATTEMPTS times, and the count is reported (`lostAttempts`).
 * The step reports to its parent execution with `attempt.*` events and ends with a StepOutput.
 * @module
 */
import { and, assign, sendParent, setup } from 'xstate';
import { notProvided, notProvidedAction } from './not-provided.ts';
import { setupTypes } from './setup-types.ts';
import type { StepDefinition } from '../src/workflow/types.ts';
import type { StepStatus } from '../src/store/index.ts';
import { backoffDelay, hasAttemptsLeft, jitterSample } from './backoff.ts';

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

/** Events a step accepts. */
export type StepMachineEvent =
  | { type: 'start' }
  | { type: 'skip'; reason?: string }
  | { type: 'cancel' }
  | { type: 'turn.passed' };

/** Events a step sends its parent. */
export type StepReport =
  | { type: 'attempt.started'; stepId: string; attempt: number; resumed: boolean }
  | { type: 'attempt.retrying'; stepId: string; attempt: number; delayMs: number; error: string }
  | { type: 'attempt.lost'; stepId: string; attempt: number; lostAttempts: number };

/** The step machine. */
export const stepMachine = setup({
  types: setupTypes<{
    context: StepMachineContext;
    events: StepMachineEvent;
    input: StepInput;
    output: StepOutput;
  }>(),
  actors: {
    /** Runs one attempt; supplied by the runtime (exec, run, sleep, http, nats, workflow). */
    runAttempt: notProvided<AttemptResult, AttemptInput>('runAttempt'),
    /** Evaluates the step's `if`: true runs it, false skips it, a rejection fails it. */
    checkCondition: notProvided<boolean, ConditionInput>('checkCondition'),
    /** Makes a forEach step's list of items (a rejection fails the step); supplied by the runtime. */
    expandItems: notProvided<unknown[], ConditionInput>('expandItems'),
  },
  actions: {
    /** Sends the step `turn.passed` on a later turn of the event loop; supplied by the runtime. */
    passTurn: notProvidedAction('passTurn'),
    reportStarted: sendParent(({ context }) => ({
      type: 'attempt.started',
      stepId: context.step.id,
      attempt: context.attempt,
      resumed: context.resuming,
    })),
    reportLost: sendParent(({ context }) => ({
      type: 'attempt.lost',
      stepId: context.step.id,
      attempt: context.attempt,
      lostAttempts: context.lostAttempts,
    })),
    countLost: assign({ lostAttempts: ({ context }) => context.lostAttempts + 1 }),
    /** A lost attempt leaves no exit code; an earlier failure's code and error are cleared. */
    recordLost: assign({ exitCode: null, error: LOST_PROCESS, nonRetryable: false }),
    /** A resumed attempt is over: later attempts start fresh. */
    endResume: assign({ elapsedMs: 0, resuming: false }),
    reportRetrying: sendParent(({ context }) => ({
      type: 'attempt.retrying',
      stepId: context.step.id,
      attempt: context.attempt,
      delayMs: context.retryDelayMs,
      error: context.error ?? 'failed',
    })),
    beginAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
    recordResult: assign((_, result: AttemptResult) => ({
      exitCode: result.exitCode,
      error: result.ok ? null : (result.error ?? `exit code ${result.exitCode}`),
      nonRetryable: !result.ok && result.nonRetryable === true,
      result: result.ok ? (result.outputs ?? null) : null,
    })),
    recordError: assign((_, params: { error: string | null }) => ({ error: params.error })),
    recordItems: assign((_, items: unknown[]) => ({ items })),
    /**
     * The delay before the next attempt; its jitter sample is drawn from the retry's identity.
     * The backoff grows with the step's own attempts: lost ones do not lengthen it.
     */
    planRetry: assign(({ context }) => ({
      retryDelayMs: backoffDelay(
        context.step.retry,
        context.attempt - context.lostAttempts + 1,
        jitterSample(context.executionId, context.step.id, context.attempt + 1),
      ),
    })),
    settle: assign(({ context }, params: { status: StepFinalStatus }) => ({
      status: params.status,
      error:
        params.status === 'succeeded'
          ? null
          : params.status === 'cancelled' && !context.error
            ? 'cancelled'
            : params.status === 'interrupted' && !context.error
              ? LOST_PROCESS
              : context.error,
    })),
  },
  guards: {
    isNoop: ({ context }) => context.step.kind === 'noop',
    isApproval: ({ context }) => context.step.kind === 'approval',
    // Instances carry their own step (no forEach): only the fanned-out step itself expands.
    isForEach: ({ context }) => context.step.forEach !== undefined,
    // Only a fresh step asks: one resumed after a restart passed its condition before.
    hasCondition: ({ context }) =>
      context.step.if !== undefined && context.attempt === 0 && context.resumed === undefined,
    conditionHeld: (_, held: boolean) => held,
    wasInterrupted: ({ context }) => context.interrupted === true,
    resumesBackoff: ({ context }) => context.resumed?.state === 'retrying',
    hasTimeout: ({ context }) => timeoutOf(context) !== undefined,
    // Lost attempts are not the step's failures: they do not count against its policy.
    canRetry: ({ context }) =>
      !context.nonRetryable &&
      hasAttemptsLeft(context.step.retry, context.attempt - context.lostAttempts),
    canRerunLost: ({ context }) => context.lostAttempts <= MAX_LOST_ATTEMPTS,
    succeeded: (_, result: AttemptResult) => result.ok,
    wasLost: (_, result: AttemptResult) => result.lost === true,
  },
  delays: {
    // A resumed attempt has already used part of its time.
    stepTimeout: ({ context }) => Math.max(0, (timeoutOf(context) ?? 0) - context.elapsedMs),
    retryDelay: ({ context }) => context.retryDelayMs,
  },
}).createMachine({
  id: 'step',
  context: ({ input }) => ({
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
  }),
  initial: 'waiting',
  states: {
    waiting: {
      // A step resumed after its attempt was cut off starts where its record is: interrupted.
      always: { guard: 'wasInterrupted', target: 'interrupted' },
      on: {
        // A noop has no work to run: it passes one turn of the event loop and succeeds, without
        // a runAttempt actor (an actor per attempt is most of a noop's cost). The turn keeps a
        // large noop DAG from running as one synchronous burst.
        start: [
          { guard: 'hasCondition', target: 'checking' },
          { guard: 'isForEach', target: 'expanding' },
          { guard: 'isNoop', target: 'passing' },
          { guard: 'isApproval', target: 'awaitingApproval' },
          { guard: 'resumesBackoff', target: 'backingOff' },
          { target: 'running' },
        ],
        skip: {
          target: 'skipped',
          actions: {
            type: 'recordError',
            params: ({ event }) => ({ error: event.reason ?? null }),
          },
        },
        cancel: 'cancelled',
      },
    },
    /** The step's `if` is evaluated: true runs it, false skips it, an error fails it. */
    checking: {
      invoke: {
        src: 'checkCondition',
        input: ({ context }) => ({
          executionId: context.executionId,
          workflowId: context.workflowId,
          step: context.step,
          outputs: context.outputs ?? {},
          statuses: context.statuses ?? [],
          stepIndex: context.stepIndex ?? {},
        }),
        onDone: [
          {
            guard: { type: 'conditionHeld', params: ({ event }) => event.output },
            target: 'conditionMet',
          },
          {
            target: 'skipped',
            actions: {
              type: 'recordError',
              params: ({ context }) => ({ error: `if: ${context.step.if} is false` }),
            },
          },
        ],
        onError: {
          target: 'failed',
          actions: {
            type: 'recordError',
            params: ({ event }) => ({ error: messageOf(event.error) }),
          },
        },
      },
      on: { cancel: 'cancelled' },
    },
    conditionMet: {
      always: [
        { guard: 'isForEach', target: 'expanding' },
        { guard: 'isNoop', target: 'passing' },
        { guard: 'isApproval', target: 'awaitingApproval' },
        { target: 'running' },
      ],
    },
    /**
     * A forEach step makes its list (again, after a restart: the same inputs and stored outputs
     * give the same list); the execution then runs the instances. An error fails the step.
     */
    expanding: {
      invoke: {
        src: 'expandItems',
        input: ({ context }) => ({
          executionId: context.executionId,
          workflowId: context.workflowId,
          step: context.step,
          outputs: context.outputs ?? {},
          statuses: context.statuses ?? [],
          stepIndex: context.stepIndex ?? {},
        }),
        onDone: {
          target: 'expanded',
          actions: { type: 'recordItems', params: ({ event }) => event.output },
        },
        onError: {
          target: 'failed',
          actions: {
            type: 'recordError',
            params: ({ event }) => ({ error: messageOf(event.error) }),
          },
        },
      },
      on: { cancel: 'cancelled' },
    },
    /** The attempt in progress was lost with the process that ran it (rehydration). */
    interrupted: {
      on: {
        // Runs again at once (the process is long gone: no backoff), if lost attempts allow.
        start: [
          { guard: 'isForEach', target: 'expanding' },
          { guard: and(['canRerunLost', 'isNoop']), target: 'passing' },
          { guard: and(['canRerunLost', 'isApproval']), target: 'awaitingApproval' },
          { guard: 'canRerunLost', target: 'running' },
          { target: 'stayedInterrupted' },
        ],
        cancel: 'cancelled',
      },
    },
    running: {
      entry: ['beginAttempt', 'reportStarted'],
      exit: 'endResume',
      invoke: {
        src: 'runAttempt',
        input: ({ context }) => attemptInput(context),
        onDone: [
          {
            guard: { type: 'wasLost', params: ({ event }) => event.output },
            target: 'attemptLost',
            actions: ['countLost', 'recordLost'],
          },
          {
            guard: { type: 'succeeded', params: ({ event }) => event.output },
            target: 'succeeded',
            actions: { type: 'recordResult', params: ({ event }) => event.output },
          },
          {
            target: 'attemptFailed',
            actions: { type: 'recordResult', params: ({ event }) => event.output },
          },
        ],
        onError: {
          target: 'attemptFailed',
          actions: {
            type: 'recordError',
            params: ({ event }) => ({ error: messageOf(event.error) }),
          },
        },
      },
      after: {
        stepTimeout: {
          guard: 'hasTimeout',
          target: 'attemptTimedOut',
          actions: {
            type: 'recordError',
            params: ({ context }) => ({ error: `timed out after ${timeoutOf(context)} ms` }),
          },
        },
      },
      on: { cancel: 'cancelled' },
    },
    /**
     * An approval step waits for a person's decision (its run shows `awaiting_approval`): the
     * runtime's attempt asks, stores its deadline and resolves with the decision. No step
     * timeout and no retry: the approval's own deadline rejects it, and a rejection is final.
     */
    awaitingApproval: {
      entry: ['beginAttempt', 'reportStarted'],
      exit: 'endResume',
      invoke: {
        src: 'runAttempt',
        input: ({ context }) => attemptInput(context),
        onDone: [
          {
            guard: { type: 'succeeded', params: ({ event }) => event.output },
            target: 'succeeded',
            actions: { type: 'recordResult', params: ({ event }) => event.output },
          },
          {
            target: 'failed',
            actions: { type: 'recordResult', params: ({ event }) => event.output },
          },
        ],
        onError: {
          target: 'failed',
          actions: {
            type: 'recordError',
            params: ({ event }) => ({ error: messageOf(event.error) }),
          },
        },
      },
      on: { cancel: 'cancelled' },
    },
    passing: {
      entry: ['beginAttempt', 'reportStarted', 'passTurn'],
      on: { 'turn.passed': 'succeeded', cancel: 'cancelled' },
    },
    /** The attempt's process was lost with its host: run again, not counted as a retry. */
    attemptLost: {
      // Reported only when it runs again: a step that stays interrupted reports its end instead.
      always: [
        { guard: 'canRerunLost', target: 'running', actions: 'reportLost' },
        { target: 'stayedInterrupted' },
      ],
    },
    attemptFailed: {
      always: [{ guard: 'canRetry', target: 'retrying' }, { target: 'failed' }],
    },
    attemptTimedOut: {
      always: [{ guard: 'canRetry', target: 'retrying' }, { target: 'timed_out' }],
    },
    retrying: {
      entry: ['planRetry', 'reportRetrying'],
      after: { retryDelay: 'running' },
      on: {
        cancel: {
          target: 'cancelled',
          actions: { type: 'recordError', params: { error: 'cancelled' } },
        },
      },
    },
    /** The rest of a backoff a previous server had begun (its `retryDelayMs` is what is left). */
    backingOff: {
      after: { retryDelay: 'running' },
      on: {
        cancel: {
          target: 'cancelled',
          actions: { type: 'recordError', params: { error: 'cancelled' } },
        },
      },
    },
    succeeded: { type: 'final', entry: { type: 'settle', params: { status: 'succeeded' } } },
    /** A forEach step's list is made: the execution runs its instances (see `items`). */
    expanded: { type: 'final', entry: { type: 'settle', params: { status: 'succeeded' } } },
    failed: { type: 'final', entry: { type: 'settle', params: { status: 'failed' } } },
    skipped: { type: 'final', entry: { type: 'settle', params: { status: 'skipped' } } },
    cancelled: { type: 'final', entry: { type: 'settle', params: { status: 'cancelled' } } },
    timed_out: { type: 'final', entry: { type: 'settle', params: { status: 'timed_out' } } },
    /** Interrupted with no attempt left: the step ends with its record's status, `interrupted`. */
    stayedInterrupted: {
      type: 'final',
      entry: { type: 'settle', params: { status: 'interrupted' } },
    },
  },
  output: ({ context }) => ({
    stepId: context.step.id,
    status: context.status ?? 'failed',
    attempts: context.attempt,
    exitCode: context.exitCode,
    error: context.status === 'succeeded' ? null : context.error,
    lostAttempts: context.lostAttempts,
    ...(context.status === 'succeeded' && context.result !== null && { outputs: context.result }),
    ...(context.status === 'succeeded' && context.items !== null && { items: context.items }),
  }),
});

function timeoutOf(context: StepMachineContext): number | undefined {
  return context.step.timeoutMs ?? context.defaultTimeoutMs;
}

/** What the current attempt's `runAttempt` actor gets. */
function attemptInput(context: StepMachineContext): AttemptInput {
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

/** The message of a rejected attempt (an Error, or anything thrown). */
function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return String(error.message);
  }
  return String(error);
}

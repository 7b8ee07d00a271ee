/**
 * One step of an execution: waiting → running → (retrying → running)* → succeeded | failed |
 * skipped | cancelled | timed_out; a noop goes waiting → passing → succeeded. The step's work is
 * the `runAttempt` actor, supplied by the runtime; a timeout or a cancel leaves `running`, which
 * stops that actor and so kills its process group. A step resumed after the process running its
 * attempt stopped starts `interrupted` (its record's status) and, once started, runs again if its
 * policy has attempts left (the interrupted attempt counts), or ends interrupted.
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
  /** The last of those attempts was cut off by the stop of the process running it. */
  interrupted?: boolean;
}

/** What one attempt of the `runAttempt` actor receives. */
export interface AttemptInput {
  executionId: string;
  workflowId: string;
  step: StepDefinition;
  attempt: number;
}

/** What one attempt of the `runAttempt` actor resolves with. */
export interface AttemptResult {
  ok: boolean;
  exitCode: number | null;
  error?: string;
  /** The failure must not be retried (e.g. the program does not exist). */
  nonRetryable?: boolean;
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
}

/** Step context (JSON-serialisable). */
export interface StepMachineContext extends StepInput {
  attempt: number;
  exitCode: number | null;
  error: string | null;
  nonRetryable: boolean;
  retryDelayMs: number;
  status: StepFinalStatus | null;
}

/** Events a step accepts. */
export type StepMachineEvent =
  | { type: 'start' }
  | { type: 'skip'; reason?: string }
  | { type: 'cancel' }
  | { type: 'turn.passed' };

/** Events a step sends its parent. */
export type StepReport =
  | { type: 'attempt.started'; stepId: string; attempt: number }
  | { type: 'attempt.retrying'; stepId: string; attempt: number; delayMs: number; error: string };

const INTERRUPTED = 'the process running this step stopped';

/** The step machine. */
export const stepMachine = setup({
  types: setupTypes<{
    context: StepMachineContext;
    events: StepMachineEvent;
    input: StepInput;
    output: StepOutput;
  }>(),
  actors: {
    /** Runs one attempt; supplied by the runtime (exec, run, sleep, noop). */
    runAttempt: notProvided<AttemptResult, AttemptInput>('runAttempt'),
  },
  actions: {
    /** Sends the step `turn.passed` on a later turn of the event loop; supplied by the runtime. */
    passTurn: notProvidedAction('passTurn'),
    reportStarted: sendParent(({ context }) => ({
      type: 'attempt.started',
      stepId: context.step.id,
      attempt: context.attempt,
    })),
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
    })),
    recordError: assign((_, params: { error: string | null }) => ({ error: params.error })),
    /** The delay before the next attempt; its jitter sample is drawn from the retry's identity. */
    planRetry: assign(({ context }) => ({
      retryDelayMs: backoffDelay(
        context.step.retry,
        context.attempt + 1,
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
              ? INTERRUPTED
              : context.error,
    })),
  },
  guards: {
    isNoop: ({ context }) => context.step.kind === 'noop',
    wasInterrupted: ({ context }) => context.interrupted === true,
    hasTimeout: ({ context }) => timeoutOf(context) !== undefined,
    canRetry: ({ context }) =>
      !context.nonRetryable && hasAttemptsLeft(context.step.retry, context.attempt),
    succeeded: (_, result: AttemptResult) => result.ok,
  },
  delays: {
    stepTimeout: ({ context }) => timeoutOf(context) ?? 0,
    retryDelay: ({ context }) => context.retryDelayMs,
  },
}).createMachine({
  id: 'step',
  context: ({ input }) => ({
    ...input,
    attempt: input.attemptsUsed ?? 0,
    exitCode: null,
    error: null,
    nonRetryable: false,
    retryDelayMs: 0,
    status: null,
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
        start: [{ guard: 'isNoop', target: 'passing' }, { target: 'running' }],
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
    /** The attempt in progress was lost with the process that ran it (rehydration). */
    interrupted: {
      on: {
        // Runs again at once (the process is long gone: no backoff), if attempts remain.
        start: [
          { guard: and(['canRetry', 'isNoop']), target: 'passing' },
          { guard: 'canRetry', target: 'running' },
          { target: 'stayedInterrupted' },
        ],
        cancel: 'cancelled',
      },
    },
    running: {
      entry: ['beginAttempt', 'reportStarted'],
      invoke: {
        src: 'runAttempt',
        input: ({ context }) => ({
          executionId: context.executionId,
          workflowId: context.workflowId,
          step: context.step,
          attempt: context.attempt,
        }),
        onDone: [
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
    passing: {
      entry: ['beginAttempt', 'reportStarted', 'passTurn'],
      on: { 'turn.passed': 'succeeded', cancel: 'cancelled' },
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
    succeeded: { type: 'final', entry: { type: 'settle', params: { status: 'succeeded' } } },
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
  }),
});

function timeoutOf(context: StepMachineContext): number | undefined {
  return context.step.timeoutMs ?? context.defaultTimeoutMs;
}

/** The message of a rejected attempt (an Error, or anything thrown). */
function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return String(error.message);
  }
  return String(error);
}

/**
 * One step of a run: waiting → running → (retrying → running)* → succeeded | failed | skipped |
 * cancelled | timed_out; a noop goes waiting → passing → succeeded. The step's work is the `runAttempt` actor, supplied by the runtime; a
 * timeout or a cancel leaves `running`, which stops that actor and so kills its process group.
 * The step reports to its parent workflow with `step.*` events and ends with a StepOutput.
 * @module
 */
import { assign, sendParent, setup, type PromiseActorLogic } from 'xstate';
import { notProvided, notProvidedAction } from './not-provided.ts';
import type { StepDefinition } from '../src/workflow/types.ts';
import type { StepStatus } from '../src/store/types.ts';
import { backoffDelay, hasAttemptsLeft } from './backoff.ts';

/** What the step needs to run one step. */
export interface StepInput {
  executionId: string;
  workflowId: string;
  step: StepDefinition;
  /** Step timeout when the step sets none. */
  defaultTimeoutMs?: number;
  /** Attempts already used (rehydration of an interrupted step). @default 0 */
  attemptsUsed?: number;
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
  'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'timed_out'
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

/** The step machine. */
export const stepMachine = setup({
  types: {
    context: {} as StepMachineContext,
    events: {} as StepMachineEvent,
    input: {} as StepInput,
    output: {} as StepOutput,
  },
  actors: {
    /** Runs one attempt; supplied by the runtime (exec, run, sleep, noop). */
    runAttempt: notProvided<PromiseActorLogic<AttemptResult, AttemptInput>>('runAttempt'),
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
    settle: assign(({ context }, params: { status: StepFinalStatus }) => ({
      status: params.status,
      error:
        params.status === 'succeeded'
          ? null
          : params.status === 'cancelled' && !context.error
            ? 'cancelled'
            : context.error,
    })),
  },
  guards: {
    isNoop: ({ context }) => context.step.kind === 'noop',
    hasTimeout: ({ context }) => timeoutOf(context) !== undefined,
    canRetry: ({ context }) =>
      !context.nonRetryable && hasAttemptsLeft(context.step.retry, context.attempt),
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
      on: {
        // A noop has no work to run: it passes one turn of the event loop and succeeds, without
        // a runAttempt actor (an actor per attempt is most of a noop's cost). The turn keeps a
        // large noop DAG from running as one synchronous burst.
        start: [{ guard: 'isNoop', target: 'passing' }, { target: 'running' }],
        skip: {
          target: 'skipped',
          actions: assign({ error: ({ event }) => event.reason ?? null }),
        },
        cancel: 'cancelled',
      },
    },
    running: {
      entry: [assign({ attempt: ({ context }) => context.attempt + 1 }), 'reportStarted'],
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
            guard: ({ event }) => event.output.ok,
            target: 'succeeded',
            actions: assign({ exitCode: ({ event }) => event.output.exitCode, error: null }),
          },
          {
            target: 'attemptFailed',
            actions: assign({
              exitCode: ({ event }) => event.output.exitCode,
              error: ({ event }) => event.output.error ?? `exit code ${event.output.exitCode}`,
              nonRetryable: ({ event }) => event.output.nonRetryable === true,
            }),
          },
        ],
        onError: {
          target: 'attemptFailed',
          actions: assign({
            error: ({ event }) => String((event.error as Error)?.message ?? event.error),
          }),
        },
      },
      after: {
        stepTimeout: {
          guard: 'hasTimeout',
          target: 'attemptTimedOut',
          actions: assign({ error: ({ context }) => `timed out after ${timeoutOf(context)} ms` }),
        },
      },
      on: { cancel: 'cancelled' },
    },
    passing: {
      entry: [
        assign({ attempt: ({ context }) => context.attempt + 1 }),
        'reportStarted',
        'passTurn',
      ],
      on: { 'turn.passed': 'succeeded', cancel: 'cancelled' },
    },
    attemptFailed: {
      always: [{ guard: 'canRetry', target: 'retrying' }, { target: 'failed' }],
    },
    attemptTimedOut: {
      always: [{ guard: 'canRetry', target: 'retrying' }, { target: 'timed_out' }],
    },
    retrying: {
      entry: [
        assign({
          retryDelayMs: ({ context }) =>
            backoffDelay(context.step.retry, context.attempt + 1, Math.random()),
        }),
        'reportRetrying',
      ],
      after: { retryDelay: 'running' },
      on: { cancel: { target: 'cancelled', actions: assign({ error: 'cancelled' }) } },
    },
    succeeded: { type: 'final', entry: { type: 'settle', params: { status: 'succeeded' } } },
    failed: { type: 'final', entry: { type: 'settle', params: { status: 'failed' } } },
    skipped: { type: 'final', entry: { type: 'settle', params: { status: 'skipped' } } },
    cancelled: { type: 'final', entry: { type: 'settle', params: { status: 'cancelled' } } },
    timed_out: { type: 'final', entry: { type: 'settle', params: { status: 'timed_out' } } },
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

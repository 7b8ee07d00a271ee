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
import {
  attemptInput,
  conditionInput,
  createStepContext,
  LOST_PROCESS,
  stepOutput,
  timeoutOf,
  type AttemptInput,
  type AttemptResult,
  type ConditionInput,
  type StepInput,
  type StepMachineContext,
  type StepOutput,
} from './step-context.ts';
import { stepDelays, stepGuards } from './step-guards.ts';
import {
  lostReport,
  messageOf,
  resultUpdate,
  retryingReport,
  retryPlan,
  settledUpdate,
  startedReport,
} from './step-actions.ts';

export { LOST_PROCESS, MAX_LOST_ATTEMPTS } from './step-context.ts';
export type {
  AttemptInput,
  AttemptResult,
  ConditionInput,
  ResumedAttempt,
  StepFinalStatus,
  StepInput,
  StepItem,
  StepMachineContext,
  StepOutput,
  StepReport,
} from './step-context.ts';

/** Events a step accepts. */
export type StepMachineEvent =
  | { type: 'start' }
  | { type: 'skip'; reason?: string }
  | { type: 'cancel' }
  | { type: 'turn.passed' };

/**
 * The step machine. Its types and actor inputs are in step-context.ts, what its named actions
 * compute in step-actions.ts, its guards and delays in step-guards.ts.
 */
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
    reportStarted: sendParent(startedReport),
    reportLost: sendParent(lostReport),
    countLost: assign({ lostAttempts: ({ context }) => context.lostAttempts + 1 }),
    /** A lost attempt leaves no exit code; an earlier failure's code and error are cleared. */
    recordLost: assign({ exitCode: null, error: LOST_PROCESS, nonRetryable: false }),
    /** A resumed attempt is over: later attempts start fresh. */
    endResume: assign({ elapsedMs: 0, resuming: false }),
    reportRetrying: sendParent(retryingReport),
    beginAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
    recordResult: assign(resultUpdate),
    recordError: assign((_, params: { error: string | null }) => ({ error: params.error })),
    recordItems: assign((_, items: unknown[]) => ({ items })),
    planRetry: assign(retryPlan),
    settle: assign(settledUpdate),
  },
  guards: stepGuards,
  delays: stepDelays,
}).createMachine({
  id: 'step',
  context: ({ input }) => createStepContext(input),
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
        input: ({ context }) => conditionInput(context),
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
        input: ({ context }) => conditionInput(context),
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
  output: ({ context }) => stepOutput(context),
});

/**
 * One workflow run: pending → running → completed | failed | cancelled | timed_out.
 * While running it starts a step actor for every step whose needs are met, never more than
 * the run's concurrency at once, and settles each from the step's output. A failure that is
 * not tolerated (`continueOnError`) ends the run: live steps are cancelled (stopping the run
 * stops them), steps that never started are skipped. A run that cannot start (`fail`: a secret
 * is unavailable) goes from pending to failed, every step skipped. A forEach step's actor makes
 * its list; the run then starts its instances (`x[n]`, step actors too) up to the step's own
 * concurrency, and settles the step when they have ended (execution-fan-out.ts). Every change is
 * emitted as an ExecutionEvent; the runtime persists and publishes them.
 *
 * Rollback: a run that fails (a step or a `verify:` step fails, not tolerated) or times out
 * goes through `rolling_back`: the rollbacks of its succeeded steps run one at a time, last
 * completed first, then it ends failed (or timed_out); `cancel` there stops them and ends it
 * cancelled (execution-rollback.ts). A run rehydrated mid-rollback (`rollingBack` in its input:
 * the original error) starts there and ends as it would have. `execution.progress` reports
 * settled and live steps.
 *
 * Pause: `running` is `active` or `paused`. `pause` (or a step with `pauseBefore` that is next
 * to start: a breakpoint) holds every new start, steps and forEach instances alike; live steps
 * go on and are settled as usual, the run timeout keeps counting, `cancel` ends the run as
 * ever. `resume` starts what is ready (a breakpoint's step first). A run rehydrated paused
 * (`paused` in its input) starts nothing until it is resumed.
 * @module
 */
import { and, assign, emit, enqueueActions, setup } from 'xstate';
import type { ExecutionEvent } from '../src/events.ts';
import type { WireError } from '../src/errors.ts';
import { stepMachine, type StepOutput, type StepReport } from './step.machine.ts';
import { setupTypes } from './setup-types.ts';
import { slotOfEvent } from './child-slots.ts';
import { STEP_PREFIX } from './execution-steps.ts';
import { executionGuards, runTimeoutMs } from './execution-guards.ts';
import { ROLLBACK_PREFIX } from './execution-rollback.ts';
import {
  createExecutionContext,
  type BlockingFinding,
  type ExecutionInput,
  type ExecutionMachineContext,
  type ExecutionOutcome,
  type ExecutionOutput,
} from './execution-context.ts';
import { dispatchReady, pause, resume } from './execution-dispatch.ts';
import {
  abandonRest,
  endRollback,
  enterRollback,
  forwardRollbackReport,
  leaveRollback,
  noteAttempt,
  reportProgress,
  settleCrashedStep,
  settleStep,
} from './execution-actions.ts';
import { blockedEvent, endedEvent, startedEvent, stepReportEvent } from './execution-events.ts';

export { stepChildId } from './execution-steps.ts';
export type {
  BlockingFinding,
  ExecutionInput,
  ExecutionMachineContext,
  ExecutionOutcome,
  ExecutionOutput,
  ExecutionPause,
} from './execution-context.ts';

/** Events an execution accepts. */
export type ExecutionMachineEvent =
  | { type: 'start' }
  | { type: 'cancel'; reason?: string }
  /** Holds new step starts (running steps go on); ignored when already paused. */
  | { type: 'pause'; by?: string }
  /** Lets new steps start again; ignored when not paused. */
  | { type: 'resume'; by?: string }
  /** The run cannot start (e.g. `secret_unavailable`): it fails with this error, no step runs. */
  | { type: 'fail'; error: WireError }
  /** A policy refuses the run before it starts (src/plans): it ends `blocked`, no step runs. */
  | { type: 'block'; error: WireError; findings: BlockingFinding[] }
  | StepReport
  | { type: `xstate.done.actor.${string}`; output: StepOutput }
  | { type: `xstate.error.actor.${string}`; error: unknown };

/**
 * The execution machine. What its named actions do is in execution-dispatch.ts (starting work,
 * pause and resume), execution-actions.ts (settling steps, rollback, progress) and
 * execution-events.ts (what it emits); its guards are in execution-guards.ts.
 */
export const executionMachine = setup({
  types: setupTypes<{
    context: ExecutionMachineContext;
    events: ExecutionMachineEvent;
    input: ExecutionInput;
    output: ExecutionOutput;
    emitted: ExecutionEvent;
  }>(),
  actors: { step: stepMachine },
  actions: {
    announceStart: emit(startedEvent),
    dispatchReady: enqueueActions(dispatchReady),
    reportProgress: enqueueActions(reportProgress),
    beginRollback: enqueueActions(enterRollback),
    forwardRollbackReport: enqueueActions(forwardRollbackReport),
    abandonRollback: enqueueActions(leaveRollback),
    settleRollback: enqueueActions(endRollback),
    // Wrapped: a bare (not enqueueActions/emit) function here makes setup() infer every action's
    // params as unknown.
    noteAttempt: (args, started: { stepId: string; attempt: number }) => noteAttempt(args, started),
    forwardReport: emit(stepReportEvent),
    settleStep: enqueueActions(settleStep),
    settleCrashedStep: enqueueActions(settleCrashedStep),
    abandonRest: enqueueActions(abandonRest),
    setError: assign(
      (_, params: { code: WireError['code']; message: string; details?: unknown }) => ({
        error: {
          code: params.code,
          message: params.message,
          ...(params.details !== undefined && { details: params.details }),
          recoverable: false,
        },
      }),
    ),
    pause: enqueueActions(pause),
    resume: enqueueActions(resume),
    setOutcome: assign((_, params: { status: ExecutionOutcome }) => ({ outcome: params.status })),
    announceBlocked: emit(blockedEvent),
    announceEnd: emit(endedEvent),
  },
  guards: executionGuards,
  delays: { runTimeout: runTimeoutMs },
}).createMachine({
  id: 'execution',
  context: ({ input }) => createExecutionContext(input),
  initial: 'pending',
  states: {
    pending: {
      on: {
        start: [
          // Not through `running`: no step starts, and the run timeout that may have caused
          // the rollback is not armed again.
          { guard: 'resumesRollback', target: 'rolling_back', actions: 'announceStart' },
          { target: 'running' },
        ],
        fail: {
          target: 'failed',
          actions: { type: 'setError', params: ({ event }) => event.error },
        },
        block: {
          target: 'blocked',
          actions: [
            { type: 'setError', params: ({ event }) => event.error },
            { type: 'announceBlocked', params: ({ event }) => ({ findings: event.findings }) },
          ],
        },
        cancel: {
          target: 'cancelled',
          actions: {
            type: 'setError',
            params: { code: 'cancelled', message: 'cancelled before start' },
          },
        },
      },
    },
    running: {
      entry: ['announceStart', 'dispatchReady', 'reportProgress'],
      initial: 'active',
      states: {
        active: {
          // A breakpoint reached, or a run rehydrated paused.
          always: { guard: 'isPaused', target: 'paused' },
          on: {
            pause: {
              target: 'paused',
              actions: { type: 'pause', params: ({ event }) => ({ by: event.by }) },
            },
          },
        },
        paused: {
          on: {
            resume: {
              target: 'active',
              actions: [
                { type: 'resume', params: ({ event }) => ({ by: event.by }) },
                'dispatchReady',
                'reportProgress',
              ],
            },
          },
        },
      },
      always: [
        { guard: 'runFailed', target: 'rolling_back' },
        { guard: 'runDone', target: 'completed' },
      ],
      on: {
        'attempt.started': {
          actions: [
            { type: 'noteAttempt', params: ({ event }) => event },
            { type: 'forwardReport', params: ({ event }) => event },
          ],
        },
        'attempt.retrying': { actions: { type: 'forwardReport', params: ({ event }) => event } },
        'attempt.lost': { actions: { type: 'forwardReport', params: ({ event }) => event } },
        'xstate.done.actor.*': {
          actions: [
            {
              type: 'settleStep',
              params: ({ event }) => ({
                slot: slotOfEvent(event.type, STEP_PREFIX),
                output: event.output,
              }),
            },
            'dispatchReady',
            'reportProgress',
          ],
        },
        'xstate.error.actor.*': {
          actions: [
            {
              type: 'settleCrashedStep',
              params: ({ event }) => ({
                slot: slotOfEvent(event.type, STEP_PREFIX),
                error: event.error,
              }),
            },
            'dispatchReady',
            'reportProgress',
          ],
        },
        cancel: {
          target: 'cancelled',
          actions: {
            type: 'setError',
            params: ({ event }) => ({ code: 'cancelled', message: event.reason ?? 'cancelled' }),
          },
        },
      },
      after: {
        runTimeout: {
          guard: 'hasRunTimeout',
          target: 'rolling_back',
          actions: [
            {
              type: 'setError',
              params: ({ context }) => ({
                code: 'timeout',
                message: `run timed out after ${context.definition.timeoutMs} ms`,
              }),
            },
            assign({ ending: 'timed_out' as const }),
          ],
        },
      },
    },
    /**
     * The run failed or timed out: live steps end, unstarted ones are skipped, then the
     * rollbacks of the steps that succeeded run one at a time (execution-rollback.ts). `cancel`
     * stops the rollback under way and ends the run cancelled.
     */
    rolling_back: {
      entry: [
        {
          type: 'abandonRest',
          params: ({ context }) =>
            context.ending === 'timed_out'
              ? { liveStatus: 'timed_out' as const, reason: 'run timed out' }
              : { liveStatus: 'cancelled' as const, reason: 'run failed' },
        },
        'beginRollback',
      ],
      always: [
        { guard: and(['rollbacksDone', 'endsTimedOut']), target: 'timed_out' },
        { guard: 'rollbacksDone', target: 'failed' },
      ],
      on: {
        'attempt.started': {
          actions: { type: 'forwardRollbackReport', params: ({ event }) => event },
        },
        'xstate.done.actor.*': {
          actions: {
            type: 'settleRollback',
            params: ({ event }) => ({
              index: slotOfEvent(event.type, ROLLBACK_PREFIX),
              output: event.output,
            }),
          },
        },
        'xstate.error.actor.*': {
          actions: {
            type: 'settleRollback',
            params: ({ event }) => ({
              index: slotOfEvent(event.type, ROLLBACK_PREFIX),
              error: event.error,
            }),
          },
        },
        cancel: {
          target: 'cancelled',
          actions: [
            'abandonRollback',
            {
              type: 'setError',
              params: ({ event }) => ({
                code: 'cancelled',
                message: event.reason ?? 'cancelled while rolling back',
              }),
            },
          ],
        },
      },
    },
    /** A policy refused the run (src/plans): every step skipped, nothing ran. */
    blocked: {
      type: 'final',
      entry: [
        {
          type: 'abandonRest',
          params: { liveStatus: 'skipped', reason: 'run blocked by a policy' },
        },
        { type: 'setOutcome', params: { status: 'blocked' } },
      ],
    },
    completed: {
      type: 'final',
      entry: [
        { type: 'setOutcome', params: { status: 'completed' } },
        { type: 'announceEnd', params: { status: 'completed' } },
      ],
    },
    failed: {
      type: 'final',
      entry: [
        { type: 'abandonRest', params: { liveStatus: 'cancelled', reason: 'run failed' } },
        { type: 'setOutcome', params: { status: 'failed' } },
        { type: 'announceEnd', params: { status: 'failed' } },
      ],
    },
    cancelled: {
      type: 'final',
      entry: [
        { type: 'abandonRest', params: { liveStatus: 'cancelled', reason: 'run cancelled' } },
        { type: 'setOutcome', params: { status: 'cancelled' } },
        { type: 'announceEnd', params: { status: 'cancelled' } },
      ],
    },
    timed_out: {
      type: 'final',
      entry: [
        { type: 'abandonRest', params: { liveStatus: 'timed_out', reason: 'run timed out' } },
        { type: 'setOutcome', params: { status: 'timed_out' } },
        { type: 'announceEnd', params: { status: 'timed_out' } },
      ],
    },
  },
  output: ({ context }) => ({
    executionId: context.executionId,
    status: context.outcome ?? 'failed',
    error: context.error,
  }),
});

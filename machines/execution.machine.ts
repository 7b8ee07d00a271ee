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
import type { WorkflowDefinition } from '../src/workflow/types.ts';
import type { WireError } from '../src/errors.ts';
import {
  LOST_PROCESS,
  stepMachine,
  type StepFinalStatus,
  type StepOutput,
  type StepReport,
} from './step.machine.ts';
import { setupTypes } from './setup-types.ts';
import { slotOfEvent } from './child-slots.ts';
import { STEP_PREFIX, stepChildId, stepFinishedEvent } from './execution-steps.ts';
import {
  instanceStep,
  resumedInstance,
  settleInstanceSlot,
  startFanOut,
} from './execution-fan-out.ts';
import {
  allSettled,
  createLedger,
  liveSteps,
  occupySlot,
  peekReady,
  progressWorthReporting,
  releaseSlot,
  settle,
  takeReady,
  takeSkip,
  unstartedSteps,
  type ResumedStep,
  type ExecutionLedger,
} from './execution-ledger.ts';
import { instanceId, takeInstance } from './fan-out.ts';
import {
  abandonRollback,
  beginRollback,
  rollbackEnding,
  rollbackReportEvent,
  ROLLBACK_PREFIX,
  settleRollback,
  type RollbackEnd,
  type RollbackQueue,
} from './execution-rollback.ts';

export { stepChildId } from './execution-steps.ts';

/** What a run needs. */
export interface ExecutionInput {
  executionId: string;
  workflowId: string;
  definition: WorkflowDefinition;
  /** Step states from a previous process (rehydration). */
  resume?: Record<string, ResumedStep>;
  /** Time the run already ran under previous processes: its timeout counts it. @default 0 */
  elapsedMs?: number;
  /** The run was paused under a previous process: it starts paused. */
  paused?: ExecutionPause;
  /**
   * The run was rolling back under a previous process, with this error (its original failure,
   * stored on the record as rollback began): it goes straight back to `rolling_back` and ends as
   * that error says (`timed_out` for the run timeout's, else `failed`), whatever its steps show.
   */
  rollingBack?: { error: WireError };
}

/** Why a run is paused, and by whom (`breakpoint` for a `pauseBefore` step). */
export type ExecutionPause =
  | { by: string; reason: 'request' }
  /** A breakpoint: `stepId` has `pauseBefore` and was next to start. */
  | { by: string; reason: 'breakpoint'; stepId: string };

/** Final outcome of a run. */
export type ExecutionOutcome = 'completed' | 'failed' | 'cancelled' | 'timed_out' | 'blocked';

/** A safety finding that made a policy block a run (src/plans). */
export interface BlockingFinding {
  severity: string;
  rule: string;
  stepId?: string;
  message: string;
}

/** The run's output when it reaches a final state. */
export interface ExecutionOutput {
  executionId: string;
  status: ExecutionOutcome;
  error: WireError | null;
}

/** Run context. `ledger` is updated in place (see execution-ledger.ts). */
export interface ExecutionMachineContext extends Omit<ExecutionInput, 'paused'> {
  ledger: ExecutionLedger;
  /** Step id → definition index. */
  index: Record<string, number>;
  error: WireError | null;
  outcome: ExecutionOutcome | null;
  /** Set while paused: no new step starts. */
  paused: ExecutionPause | null;
  /** Steps whose breakpoint (`pauseBefore`) a resume let through. */
  passed: Record<string, true>;
  /** While rolling back: the rollbacks to run (execution-rollback.ts). */
  rollback: RollbackQueue | null;
  /** The attempt the rollback under way is on. */
  rollbackAttempt: number;
  /** How a run that rolls back ends: failed, or timed_out when its timeout cut it. */
  ending: 'failed' | 'timed_out';
}

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

/** The execution machine. */
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
    announceStart: emit(({ context }) => ({
      type: 'execution.started',
      executionId: context.executionId,
      workflowId: context.workflowId,
    })),
    /**
     * Skips the steps whose needs did not end as their `when` asks (and theirs in turn), then
     * starts ready steps up to the execution's concurrency.
     */
    dispatchReady: enqueueActions(({ context, enqueue }) => {
      const { ledger, definition } = context;
      for (let i = takeSkip(ledger, definition.steps); i !== undefined;) {
        const step = definition.steps[i]!;
        enqueue.emit({
          type: 'step.skipped',
          executionId: context.executionId,
          workflowId: context.workflowId,
          stepId: step.id,
          reason: `its needs did not end as 'when: ${step.when ?? 'success'}' asks`,
        });
        i = takeSkip(ledger, definition.steps);
      }
      if (context.paused) return;
      while (ledger.live < definition.concurrency) {
        const next = peekReady(ledger);
        const held = next === undefined ? undefined : definition.steps[next]!;
        if (held?.pauseBefore === true && context.passed[held.id] !== true) {
          // A breakpoint: the run pauses before this step (and every later start).
          const pause = { by: 'breakpoint', reason: 'breakpoint' as const, stepId: held.id };
          enqueue.assign({ paused: pause });
          enqueue.emit({
            type: 'execution.paused',
            executionId: context.executionId,
            workflowId: context.workflowId,
            ...pause,
          });
          return;
        }
        const i = takeReady(ledger);
        if (i === undefined) break;
        const step = definition.steps[i]!;
        const id = stepChildId(occupySlot(ledger, i));
        enqueue.spawnChild('step', {
          id,
          input: {
            executionId: context.executionId,
            workflowId: context.workflowId,
            step,
            defaultTimeoutMs: definition.defaultTimeoutMs,
            attemptsUsed: ledger.attemptsUsed[i],
            ...(ledger.interrupted[i] === true && { interrupted: true }),
            ...(ledger.lostAttempts[i] ? { lostAttempts: ledger.lostAttempts[i] } : {}),
            ...(ledger.resumed[i] && { resumed: ledger.resumed[i] }),
            outputs: ledger.outputs,
            ...((step.if !== undefined || step.forEach !== undefined) && {
              statuses: ledger.status,
              stepIndex: context.index,
            }),
          },
        });
        enqueue.sendTo(id, { type: 'start' });
      }
      // Instances of forEach steps, each fan-out up to its own concurrency.
      if (ledger.failedAt >= 0) return;
      for (const fan of ledger.fanOuts) {
        const step = definition.steps[fan.step]!;
        for (let n = takeInstance(fan); n !== undefined; n = takeInstance(fan)) {
          const id = stepChildId(occupySlot(ledger, fan.step, n));
          enqueue.spawnChild('step', {
            id,
            input: {
              executionId: context.executionId,
              workflowId: context.workflowId,
              step: instanceStep(step, n),
              defaultTimeoutMs: definition.defaultTimeoutMs,
              outputs: ledger.outputs,
              item: { value: fan.items[n], index: n },
              ...resumedInstance(context.resume?.[instanceId(step.id, n)]),
            },
          });
          enqueue.sendTo(id, { type: 'start' });
        }
      }
    }),
    /**
     * `execution.progress` at the start, then each time the settled count enters a new percent of
     * the total, and at the end: at most ~100 per run however many steps it has, since each one
     * is stored and fanned out like any other event (O(1)).
     */
    reportProgress: enqueueActions(({ context, enqueue }) => {
      const { ledger } = context;
      if (!progressWorthReporting(ledger)) return;
      ledger.reportedSettled = ledger.settled;
      ledger.reportedLive = ledger.live;
      enqueue.emit({
        type: 'execution.progress',
        executionId: context.executionId,
        workflowId: context.workflowId,
        completed: ledger.settled,
        total: ledger.status.length,
        running: ledger.live,
      });
    }),
    // Rollback (execution-rollback.ts): live steps' slots freed, then one rollback at a time.
    beginRollback: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ rollback: beginRollback(context, enqueue), paused: null });
    }),
    forwardRollbackReport: enqueueActions(({ context, enqueue }, report: StepReport) => {
      const event = rollbackReportEvent(context, report);
      if (event) enqueue.emit(event);
      enqueue.assign({ rollbackAttempt: report.attempt });
    }),
    abandonRollback: enqueueActions(({ context, enqueue }) => abandonRollback(context, enqueue)),
    settleRollback: enqueueActions(({ context, enqueue }, params: RollbackEnd) => {
      settleRollback(context, enqueue, params);
      enqueue.assign({ rollbackAttempt: 0 });
    }),
    /** Remembers a live step's attempt (reported if the execution ends while it runs). */
    noteAttempt: ({ context }, started: { stepId: string; attempt: number }) => {
      const i = context.index[started.stepId];
      if (i !== undefined) context.ledger.attemptsUsed[i] = started.attempt;
    },
    forwardReport: emit(({ context }, report: StepReport): ExecutionEvent => {
      const base = {
        executionId: context.executionId,
        workflowId: context.workflowId,
        stepId: report.stepId,
        attempt: report.attempt,
      };
      switch (report.type) {
        case 'attempt.started':
          return { type: 'step.started', ...base, ...(report.resumed && { resumed: true }) };
        case 'attempt.retrying':
          return { type: 'step.retrying', ...base, delayMs: report.delayMs, error: report.error };
        case 'attempt.lost':
          return {
            type: 'step.interrupted',
            ...base,
            exitCode: null,
            error: LOST_PROCESS,
            lostAttempts: report.lostAttempts,
          };
      }
    }),
    /** Settles a finished step into the ledger and emits its final step event. */
    settleStep: enqueueActions(
      ({ context, enqueue }, params: { slot: number; output: StepOutput }) => {
        const out = params.output;
        const instance = context.ledger.slotInstance[params.slot] ?? -1;
        const i = releaseSlot(context.ledger, params.slot);
        if (i === undefined) return;
        if (instance >= 0) {
          settleInstanceSlot(context, enqueue, i, instance, params.slot, out);
          return;
        }
        if (context.definition.steps[i]!.id !== out.stepId) return;
        if (out.status === 'succeeded' && out.items !== undefined) {
          enqueue.stopChild(stepChildId(params.slot));
          startFanOut(context, enqueue, i, out.items);
          return;
        }
        settle(context.ledger, context.definition.steps, i, out.status);
        if (out.outputs) context.ledger.outputs[out.stepId] = out.outputs;
        // A finished child stays in the parent's children map until stopped; keeping the map
        // as small as the live set keeps spawn/stop O(concurrency) instead of O(steps).
        enqueue.stopChild(stepChildId(params.slot));
        enqueue.emit(stepFinishedEvent(context, out));
        if (context.ledger.failedAt === i) {
          enqueue.assign({
            error: {
              code: 'non_retryable',
              message: `step '${out.stepId}' ${out.status === 'timed_out' ? 'timed out' : 'failed'}${out.error ? `: ${out.error}` : ''}`,
              details: { stepId: out.stepId, exitCode: out.exitCode, status: out.status },
              recoverable: false,
            },
          });
        }
      },
    ),
    /** A step actor crashed (a bug, not a step failure): settle it as failed. */
    settleCrashedStep: enqueueActions(
      ({ context, enqueue }, params: { slot: number; error: unknown }) => {
        const instance = context.ledger.slotInstance[params.slot] ?? -1;
        const i = releaseSlot(context.ledger, params.slot);
        if (i === undefined) return;
        const stepId = context.definition.steps[i]!.id;
        const message = String(params.error);
        if (instance >= 0) {
          const out: StepOutput = {
            stepId: instanceId(stepId, instance),
            status: 'failed',
            attempts: 1,
            exitCode: null,
            error: message,
            lostAttempts: 0,
          };
          settleInstanceSlot(context, enqueue, i, instance, params.slot, out);
          return;
        }
        settle(context.ledger, context.definition.steps, i, 'failed');
        enqueue.stopChild(stepChildId(params.slot));
        enqueue.emit(
          stepFinishedEvent(context, {
            stepId,
            status: 'failed',
            attempts: 1,
            exitCode: null,
            error: message,
            lostAttempts: 0,
          }),
        );
        if (context.ledger.failedAt === i) {
          enqueue.assign({
            error: { code: 'internal', message, details: { stepId }, recoverable: false },
          });
        }
      },
    ),
    /** Marks live steps with `liveStatus` and unstarted ones skipped, emitting each. */
    abandonRest: enqueueActions(
      ({ context, enqueue }, params: { liveStatus: StepFinalStatus; reason: string }) => {
        const { ledger, definition } = context;
        // Instances of forEach steps end with their run (stopping it stops their actors).
        for (let slot = 0; slot < ledger.slotStep.length; slot++) {
          const n = ledger.slotInstance[slot] ?? -1;
          const i = ledger.slotStep[slot]!;
          if (n < 0 || i < 0) continue;
          enqueue.emit(
            stepFinishedEvent(context, {
              stepId: instanceId(definition.steps[i]!.id, n),
              status: params.liveStatus,
              attempts: 1,
              exitCode: null,
              error: params.reason,
              lostAttempts: 0,
            }),
          );
        }
        ledger.fanOuts.length = 0;
        for (const i of liveSteps(ledger)) {
          settle(ledger, definition.steps, i, params.liveStatus);
          enqueue.emit(
            stepFinishedEvent(context, {
              stepId: definition.steps[i]!.id,
              status: params.liveStatus,
              attempts: Math.max(1, ledger.attemptsUsed[i]!),
              exitCode: null,
              error: params.reason,
              lostAttempts: 0,
            }),
          );
        }
        for (const i of unstartedSteps(ledger)) {
          ledger.status[i] = 'skipped';
          ledger.settled++;
          enqueue.emit({
            type: 'step.skipped',
            executionId: context.executionId,
            workflowId: context.workflowId,
            stepId: definition.steps[i]!.id,
            reason: params.reason,
          });
        }
      },
    ),
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
    pause: enqueueActions(({ context, enqueue }, params: { by?: string }) => {
      const pause = { by: params.by ?? 'anonymous', reason: 'request' as const };
      enqueue.assign({ paused: pause });
      enqueue.emit({
        type: 'execution.paused',
        executionId: context.executionId,
        workflowId: context.workflowId,
        ...pause,
      });
    }),
    /** Clears the pause; a breakpoint's step is let through. */
    resume: enqueueActions(({ context, enqueue }, params: { by?: string }) => {
      const stepId = context.paused?.reason === 'breakpoint' ? context.paused.stepId : undefined;
      enqueue.assign({
        paused: null,
        ...(stepId !== undefined && { passed: { ...context.passed, [stepId]: true as const } }),
      });
      enqueue.emit({
        type: 'execution.resumed',
        executionId: context.executionId,
        workflowId: context.workflowId,
        by: params.by ?? 'anonymous',
      });
    }),
    setOutcome: assign((_, params: { status: ExecutionOutcome }) => ({ outcome: params.status })),
    announceBlocked: emit(({ context }, params: { findings: BlockingFinding[] }) => ({
      type: 'execution.blocked' as const,
      executionId: context.executionId,
      workflowId: context.workflowId,
      status: 'blocked' as const,
      error: context.error!,
      findings: params.findings,
    })),
    announceEnd: emit(({ context }, params: { status: Exclude<ExecutionOutcome, 'blocked'> }) => ({
      type: `execution.${params.status}`,
      executionId: context.executionId,
      workflowId: context.workflowId,
      status: params.status,
      error: context.error,
    })),
  },
  guards: {
    runFailed: ({ context }) => context.ledger.failedAt >= 0,
    runDone: ({ context }) => allSettled(context.ledger),
    hasRunTimeout: ({ context }) => context.definition.timeoutMs !== undefined,
    isPaused: ({ context }) => context.paused !== null,
    rollbacksDone: ({ context }) =>
      context.rollback !== null && context.rollback.next >= context.rollback.steps.length,
    endsTimedOut: ({ context }) => context.ending === 'timed_out',
    resumesRollback: ({ context }) => context.rollingBack !== undefined,
  },
  delays: {
    // A resumed run has already used part of its time.
    runTimeout: ({ context }) =>
      Math.max(0, (context.definition.timeoutMs ?? 0) - (context.elapsedMs ?? 0)),
  },
}).createMachine({
  id: 'execution',
  context: ({ input }) => {
    const index: Record<string, number> = {};
    input.definition.steps.forEach((s, i) => (index[s.id] = i));
    return {
      ...input,
      index,
      ledger: createLedger(input.definition.steps, input.resume),
      error: input.rollingBack?.error ?? null,
      outcome: null,
      paused: input.paused ?? null,
      passed: {},
      rollback: null,
      rollbackAttempt: 0,
      ending: input.rollingBack ? rollbackEnding(input.rollingBack.error) : ('failed' as const),
    };
  },
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

/**
 * How an execution takes in how its steps end (its named actions besides starting work,
 * execution-dispatch.ts): a step's attempt is noted, a finished step is settled into the ledger
 * (a forEach step's list starts its fan-out, an instance settles into it: execution-fan-out.ts),
 * a run that ends marks the steps it leaves, rollback goes on (execution-rollback.ts), and
 * progress is reported. Plain functions of the machine's context and `enqueue`, wrapped by its
 * `setup()` with enqueueActions; every change is emitted as an ExecutionEvent.
 * @module
 */
import type { ExecutionActionArgs, ExecutionMachineContext } from './execution-context.ts';
import {
  liveSteps,
  progressWorthReporting,
  releaseSlot,
  settle,
  unstartedSteps,
} from './execution-ledger.ts';
import { settleInstanceSlot, startFanOut } from './execution-fan-out.ts';
import {
  abandonRollback,
  beginRollback,
  rollbackReportEvent,
  settleRollback,
  type RollbackEnd,
} from './execution-rollback.ts';
import { stepChildId, stepFinishedEvent } from './execution-steps.ts';
import { instanceId } from './fan-out.ts';
import type { StepFinalStatus, StepOutput, StepReport } from './step-context.ts';

/** A step actor's slot and what it ended with (`xstate.done.actor.step:<slot>`). */
export interface StepEnd {
  slot: number;
  output: StepOutput;
}

/** A step actor's slot and what it crashed with (`xstate.error.actor.step:<slot>`). */
export interface StepCrash {
  slot: number;
  error: unknown;
}

/** How a run that ends leaves its steps: live ones with `liveStatus`, all with `reason`. */
export interface AbandonedSteps {
  liveStatus: StepFinalStatus;
  reason: string;
}

/**
 * `execution.progress` at the start, then each time the settled count enters a new percent of
 * the total, and at the end: at most ~100 per run however many steps it has, since each one is
 * stored and fanned out like any other event (O(1)).
 */
export function reportProgress({ context, enqueue }: ExecutionActionArgs): void {
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
}

/** Remembers a live step's attempt (reported if the execution ends while it runs). */
export function noteAttempt(
  { context }: { context: ExecutionMachineContext },
  started: { stepId: string; attempt: number },
): void {
  const i = context.index[started.stepId];
  if (i !== undefined) context.ledger.attemptsUsed[i] = started.attempt;
}

/** Settles a finished step into the ledger and emits its final step event. */
export function settleStep({ context, enqueue }: ExecutionActionArgs, params: StepEnd): void {
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
  // A finished child stays in the parent's children map until stopped; keeping the map as
  // small as the live set keeps spawn/stop O(concurrency) instead of O(steps).
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
}

/** A step actor crashed (a bug, not a step failure): settle it as failed. */
export function settleCrashedStep(
  { context, enqueue }: ExecutionActionArgs,
  params: StepCrash,
): void {
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
}

/** Marks live steps with `liveStatus` and unstarted ones skipped, emitting each. */
export function abandonRest(
  { context, enqueue }: ExecutionActionArgs,
  params: AbandonedSteps,
): void {
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
}

// Rollback (execution-rollback.ts): live steps' slots freed, then one rollback at a time.

/** Enters rollback: plans the rollbacks and starts the first; a pause ends there. */
export function enterRollback({ context, enqueue }: ExecutionActionArgs): void {
  enqueue.assign({ rollback: beginRollback(context, enqueue), paused: null });
}

/** A rollback's `attempt.started` becomes its step event; its attempt is kept. */
export function forwardRollbackReport(
  { context, enqueue }: ExecutionActionArgs,
  report: StepReport,
): void {
  const event = rollbackReportEvent(context, report);
  if (event) enqueue.emit(event);
  enqueue.assign({ rollbackAttempt: report.attempt });
}

/** `cancel` while rolling back: the rollback under way stops. */
export function leaveRollback({ context, enqueue }: ExecutionActionArgs): void {
  abandonRollback(context, enqueue);
}

/** A rollback actor ended: settle it and start the next. */
export function endRollback({ context, enqueue }: ExecutionActionArgs, params: RollbackEnd): void {
  settleRollback(context, enqueue, params);
  enqueue.assign({ rollbackAttempt: 0 });
}

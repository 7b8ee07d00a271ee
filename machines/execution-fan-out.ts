/**
 * The execution machine's side of forEach (see fan-out.ts for the bookkeeping): the step an
 * instance runs, where a resumed instance goes on, and what happens as a fan-out starts, as an
 * instance ends (a failure stops the live others) and as the last one ends (the forEach step
 * settles with the list of its instances' outputs, or the first failure). Called from the
 * machine's enqueueActions; every change is emitted as an ExecutionEvent.
 * @module
 */
import type { ExecutionEvent } from '../src/events.ts';
import type { WireError } from '../src/errors.ts';
import type { StepDefinition } from '../src/workflow/types.ts';
import { releaseSlot, settle, type ResumedStep } from './execution-ledger.ts';
import type { ExecutionMachineContext } from './execution-context.ts';
import { stepChildId, stepFinishedEvent } from './execution-steps.ts';
import {
  beginFanOut,
  endFanOut,
  fanOutDone,
  fanOutOf,
  fanOutOutputs,
  instanceId,
  settleInstance,
  type FanOut,
} from './fan-out.ts';
import { MAX_LOST_ATTEMPTS, type StepOutput } from './step.machine.ts';

/** What the fan-out helpers enqueue (a part of enqueueActions' `enqueue`). */
export interface EnqueueLike {
  emit(event: ExecutionEvent): void;
  stopChild(id: string): void;
  assign(values: { error: WireError }): void;
}

/** The step an instance runs: the forEach step under the instance's id, without fan-out. */
export function instanceStep(step: StepDefinition, n: number): StepDefinition {
  const { forEach: _forEach, concurrency: _concurrency, if: _if, ...rest } = step;
  return { ...rest, id: instanceId(step.id, n) } as StepDefinition;
}

/** Where an instance goes on after a restart (as createLedger does for steps). */
export function resumedInstance(prior: ResumedStep | undefined) {
  if (prior === undefined) return {};
  const lostAttempts = prior.lostAttempts ?? 0;
  if (prior.status === 'interrupted' && lostAttempts <= MAX_LOST_ATTEMPTS) {
    return { interrupted: true, attemptsUsed: prior.attempts, lostAttempts };
  }
  if (prior.attempt) {
    return {
      resumed: prior.attempt,
      lostAttempts,
      attemptsUsed:
        prior.attempt.state === 'running' ? Math.max(0, prior.attempts - 1) : prior.attempts,
    };
  }
  // Stopped before (the fan-out failed or its run was cancelled): a new attempt, numbered on.
  return { attemptsUsed: prior.attempts, lostAttempts };
}

/** A forEach step's list is made: track its instances (dispatchReady starts them). */
export function startFanOut(
  context: ExecutionMachineContext,
  enqueue: EnqueueLike,
  i: number,
  items: unknown[],
): void {
  const step = context.definition.steps[i]!;
  const resume = context.resume;
  const prior = resume && ((id: string) => resume[id]);
  const fan = beginFanOut(
    context.ledger,
    i,
    step.id,
    items,
    step.concurrency ?? context.definition.concurrency,
    prior,
  );
  enqueue.emit({
    type: 'step.started',
    executionId: context.executionId,
    workflowId: context.workflowId,
    stepId: step.id,
    attempt: 1,
    ...(resume?.[step.id] !== undefined && { resumed: true }),
    items: items.length,
  });
  if (fanOutDone(fan)) finishFanOut(context, enqueue, fan);
}

/** Settles instance `n` of step `i` from `slot`; a failure stops the live others. */
export function settleInstanceSlot(
  context: ExecutionMachineContext,
  enqueue: EnqueueLike,
  i: number,
  n: number,
  slot: number,
  out: StepOutput,
): void {
  const { ledger } = context;
  ledger.slotInstance[slot] = -1;
  enqueue.stopChild(stepChildId(slot));
  const fan = fanOutOf(ledger, i);
  if (fan === undefined) return;
  const failedBefore = fan.failure !== null;
  settleInstance(fan, n, out);
  enqueue.emit(stepFinishedEvent(context, out));
  if (!failedBefore && fan.failure !== null) cancelInstances(context, enqueue, fan);
  if (fanOutDone(fan)) finishFanOut(context, enqueue, fan);
}

/** Stops every live instance of a failed fan-out, each recorded cancelled. */
function cancelInstances(context: ExecutionMachineContext, enqueue: EnqueueLike, fan: FanOut) {
  const { ledger } = context;
  for (let slot = 0; slot < ledger.slotStep.length; slot++) {
    const n = ledger.slotInstance[slot] ?? -1;
    if (n < 0 || ledger.slotStep[slot] !== fan.step) continue;
    releaseSlot(ledger, slot);
    ledger.slotInstance[slot] = -1;
    enqueue.stopChild(stepChildId(slot));
    fan.live--;
    enqueue.emit(
      stepFinishedEvent(context, {
        stepId: instanceId(fan.stepId, n),
        status: 'cancelled',
        attempts: 1,
        exitCode: null,
        error: `another instance of '${fan.stepId}' failed`,
        lostAttempts: 0,
      }),
    );
  }
}

/** Every instance has ended: the forEach step ends, with their outputs or the first failure. */
function finishFanOut(context: ExecutionMachineContext, enqueue: EnqueueLike, fan: FanOut) {
  const { ledger, definition } = context;
  endFanOut(ledger, fan);
  const failure = fan.failure;
  const status = failure === null ? 'succeeded' : failure.status;
  settle(ledger, definition.steps, fan.step, status);
  const out: StepOutput = {
    stepId: fan.stepId,
    status,
    attempts: 1,
    exitCode: failure?.exitCode ?? null,
    error: failure?.error ?? null,
    lostAttempts: 0,
  };
  if (failure === null) {
    // A forEach step's outputs are the list of its instances' outputs (readers check isArray).
    const list = fanOutOutputs(fan) as unknown as Record<string, unknown>;
    ledger.outputs[fan.stepId] = list;
    out.outputs = list;
  }
  enqueue.emit(stepFinishedEvent(context, out));
  if (ledger.failedAt === fan.step) {
    enqueue.assign({
      error: {
        code: 'non_retryable',
        message: `step '${fan.stepId}' ${status === 'timed_out' ? 'timed out' : 'failed'}: ${out.error}`,
        details: { stepId: fan.stepId, exitCode: out.exitCode, status },
        recoverable: false,
      },
    });
  }
}

/**
 * How an execution starts work (its `dispatchReady` action) and holds it (`pause`, `resume`):
 * steps whose needs did not end as their `when` asks are skipped, then ready steps start up to
 * the run's concurrency, then the instances of its forEach steps up to each one's own
 * concurrency (execution-fan-out.ts). A paused run starts nothing; a step with `pauseBefore`
 * next to start pauses it (a breakpoint) until a resume lets that step through.
 * @module
 */
import type { StepDefinition } from '../src/workflow/types.ts';
import type {
  ExecutionActionArgs,
  ExecutionMachineContext,
  ExecutionPause,
} from './execution-context.ts';
import { occupySlot, peekReady, takeReady, takeSkip } from './execution-ledger.ts';
import { instanceStep, resumedInstance } from './execution-fan-out.ts';
import { stepChildId } from './execution-steps.ts';
import { instanceId, takeInstance } from './fan-out.ts';
import type { StepInput } from './step-context.ts';

/**
 * Skips the steps whose needs did not end as their `when` asks (and theirs in turn), then
 * starts ready steps up to the execution's concurrency.
 */
export function dispatchReady({ context, enqueue }: ExecutionActionArgs): void {
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
      holdStarts({ context, enqueue }, { by: 'breakpoint', reason: 'breakpoint', stepId: held.id });
      return;
    }
    const i = takeReady(ledger);
    if (i === undefined) break;
    const id = stepChildId(occupySlot(ledger, i));
    enqueue.spawnChild('step', { id, input: stepInput(context, i) });
    enqueue.sendTo(id, { type: 'start' });
  }
  // Instances of forEach steps, each fan-out up to its own concurrency.
  if (ledger.failedAt >= 0) return;
  for (const fan of ledger.fanOuts) {
    const step = definition.steps[fan.step]!;
    for (let n = takeInstance(fan); n !== undefined; n = takeInstance(fan)) {
      const id = stepChildId(occupySlot(ledger, fan.step, n));
      enqueue.spawnChild('step', { id, input: instanceInput(context, step, n, fan.items[n]) });
      enqueue.sendTo(id, { type: 'start' });
    }
  }
}

/** The input of step `i`'s actor: where the ledger says it stands, what it may read. */
function stepInput(context: ExecutionMachineContext, i: number): StepInput {
  const { ledger, definition } = context;
  const step = definition.steps[i]!;
  return {
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
  };
}

/** The input of instance `n` of forEach step `step`, on `value`. */
function instanceInput(
  context: ExecutionMachineContext,
  step: StepDefinition,
  n: number,
  value: unknown,
): StepInput {
  return {
    executionId: context.executionId,
    workflowId: context.workflowId,
    step: instanceStep(step, n),
    defaultTimeoutMs: context.definition.defaultTimeoutMs,
    outputs: context.ledger.outputs,
    item: { value, index: n },
    ...resumedInstance(context.resume?.[instanceId(step.id, n)]),
  };
}

/** Who asked for a pause or a resume (`anonymous` when no one says). */
export interface PauseRequest {
  by?: string;
}

/** Records the pause and says so: no new start until it is lifted (running steps go on). */
function holdStarts({ context, enqueue }: ExecutionActionArgs, pause: ExecutionPause): void {
  enqueue.assign({ paused: pause });
  enqueue.emit({
    type: 'execution.paused',
    executionId: context.executionId,
    workflowId: context.workflowId,
    ...pause,
  });
}

/** Holds every new start (running steps go on) and says so. */
export function pause(args: ExecutionActionArgs, params: PauseRequest): void {
  holdStarts(args, { by: params.by ?? 'anonymous', reason: 'request' });
}

/** Clears the pause; a breakpoint's step is let through. */
export function resume({ context, enqueue }: ExecutionActionArgs, params: PauseRequest): void {
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
}

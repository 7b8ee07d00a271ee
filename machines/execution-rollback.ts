/**
 * Rollback of a failed run (the execution machine's `rolling_back` state). When a run fails (a
 * step fails and is not tolerated, a `verify:` step fails) or times out, every step that
 * succeeded and declares `rollback:` has it run, one at a time, in the reverse order the steps
 * completed (ExecutionLedger.completed). A rollback is a step actor like any step (its own
 * timeout and retry) named `rollback:<index>`, apart from the step slots; its step id is
 * `<id>:rollback`, so its logs and its record stay apart from the step's. A failed rollback does
 * not stop the others. Resumed after a restart, the run skips the rollbacks its records show
 * ended and goes on with the rest (one left running re-attaches like any step).
 * @module
 */
import type { ExecutionEvent } from '../src/events.ts';
import type { WireError } from '../src/errors.ts';
import type { StepDefinition, WorkflowDefinition } from '../src/workflow/types.ts';
import type { ExecutionLedger, ResumedStep } from './execution-ledger.ts';
import { isSettled, releaseSlot } from './execution-ledger.ts';
import { stepChildId } from './execution-steps.ts';
import { slotChildId } from './child-slots.ts';
import type { StepInput, StepOutput, StepReport } from './step.machine.ts';

/** Prefix of the rollback actors' child ids (`rollback:<step index>`). */
export const ROLLBACK_PREFIX = 'rollback:';

/** What a step's id is followed by in its rollback's id (see ROLLBACK_SUFFIX in schema.ts). */
export const ROLLBACK_STEP_SUFFIX = ':rollback';

/** The rollbacks of a failing run: step indices in the order they run, and the next one. */
export interface RollbackQueue {
  steps: number[];
  next: number;
}

/** What the rollback helpers read of the run's context. */
interface RollbackContext {
  executionId: string;
  workflowId: string;
  definition: WorkflowDefinition;
  ledger: ExecutionLedger;
  resume?: Record<string, ResumedStep>;
  error: WireError | null;
  rollback: RollbackQueue | null;
  /** The attempt the rollback under way is on (its last `attempt.started`). */
  rollbackAttempt: number;
}

/** What the rollback helpers enqueue (a part of enqueueActions' `enqueue`). */
export interface RollbackEnqueue {
  emit(event: ExecutionEvent): void;
  stopChild(id: string): void;
  spawnChild(src: 'step', options: { id: string; input: StepInput }): void;
  sendTo(id: string, event: { type: 'start' }): void;
}

/**
 * How a run that rolls back ends, from its error: the run timeout's error (code `timeout`; a
 * step's failure or timeout is `non_retryable`, a crash `internal`) ends it `timed_out`. What a
 * run resumed mid-rollback goes by, since its record keeps the error, not the machine's ending.
 */
export function rollbackEnding(error: WireError): 'failed' | 'timed_out' {
  return error.code === 'timeout' ? 'timed_out' : 'failed';
}

/** How a rollback actor ended: its output, or the error it crashed with. */
export interface RollbackEnd {
  index: number;
  output?: StepOutput;
  error?: unknown;
}

/**
 * Enters rollback: frees every step slot (abandonRest has reported their steps), plans the
 * rollbacks, announces them and starts the first. Returns the queue (the machine keeps it).
 */
export function beginRollback(context: RollbackContext, enqueue: RollbackEnqueue): RollbackQueue {
  const { ledger } = context;
  for (let slot = 0; slot < ledger.slotStep.length; slot++) {
    if (ledger.slotStep[slot]! < 0) continue;
    releaseSlot(ledger, slot);
    enqueue.stopChild(stepChildId(slot));
  }
  const queue = planRollbacks(context);
  if (queue.steps.length === 0) return queue;
  enqueue.emit(rollingBackEvent(context, queue));
  startRollback(context, enqueue, queue.steps[0]!);
  return queue;
}

/** A rollback ended (or its actor crashed): report it and start the next (one at a time). */
export function settleRollback(
  context: RollbackContext,
  enqueue: RollbackEnqueue,
  end: RollbackEnd,
): void {
  const queue = context.rollback;
  if (!queue || queue.steps[queue.next] !== end.index) return;
  const stepId = context.definition.steps[end.index]!.id;
  const out = end.output ?? {
    status: 'failed' as const,
    attempts: 1,
    exitCode: null,
    error: String(end.error),
  };
  enqueue.stopChild(slotChildId(ROLLBACK_PREFIX, end.index));
  enqueue.emit(rollbackEndEvent(context, stepId, out));
  // The queue is the machine's, advanced in place like the ledger.
  queue.next++;
  if (queue.next < queue.steps.length) startRollback(context, enqueue, queue.steps[queue.next]!);
}

/**
 * The run is cancelled while rolling back: the rollback under way is stopped with the run and
 * reported `rollback_failed` (attempt as far as it got); the ones after it never run.
 */
export function abandonRollback(context: RollbackContext, enqueue: RollbackEnqueue): void {
  const queue = context.rollback;
  if (!queue || queue.next >= queue.steps.length) return;
  const i = queue.steps[queue.next]!;
  const stepId = context.definition.steps[i]!.id;
  const attempts = Math.max(1, context.rollbackAttempt);
  enqueue.emit(
    rollbackEndEvent(context, stepId, {
      status: 'cancelled',
      attempts,
      exitCode: null,
      error: 'run cancelled while rolling back',
    }),
  );
  queue.next = queue.steps.length;
}

function startRollback(context: RollbackContext, enqueue: RollbackEnqueue, i: number): void {
  const { id, input } = rollbackInput(context, i);
  enqueue.spawnChild('step', { id, input });
  enqueue.sendTo(id, { type: 'start' });
}

/** The id of step `stepId`'s rollback, as its record and logs name it. */
export function rollbackStepId(stepId: string): string {
  return `${stepId}${ROLLBACK_STEP_SUFFIX}`;
}

/** The step id a rollback's id (`<id>:rollback`) belongs to. */
export function rolledBackStepId(rollbackId: string): string {
  return rollbackId.endsWith(ROLLBACK_STEP_SUFFIX)
    ? rollbackId.slice(0, -ROLLBACK_STEP_SUFFIX.length)
    : rollbackId;
}

/**
 * The rollbacks to run: succeeded steps with a `rollback`, last completed first, without those
 * a previous process already ended (an interrupted one runs again).
 */
export function planRollbacks(context: RollbackContext): RollbackQueue {
  const { ledger, definition } = context;
  const steps: number[] = [];
  for (let k = ledger.completed.length - 1; k >= 0; k--) {
    const i = ledger.completed[k]!;
    const step = definition.steps[i]!;
    if (step.rollback === undefined) continue;
    const prior = context.resume?.[rollbackStepId(step.id)];
    if (prior && isSettled(prior.status) && prior.status !== 'interrupted') continue;
    steps.push(i);
  }
  return { steps, next: 0 };
}

/** The step actor input of step `i`'s rollback (resumed where a previous process left it). */
export function rollbackInput(
  context: RollbackContext,
  i: number,
): { id: string; input: StepInput } {
  const step = context.definition.steps[i]!;
  const body = step.rollback as StepDefinition;
  const prior = context.resume?.[body.id];
  const running = prior?.attempt?.state === 'running';
  return {
    id: slotChildId(ROLLBACK_PREFIX, i),
    input: {
      executionId: context.executionId,
      workflowId: context.workflowId,
      step: body,
      defaultTimeoutMs: context.definition.defaultTimeoutMs,
      attemptsUsed: prior ? (running ? Math.max(0, prior.attempts - 1) : prior.attempts) : 0,
      ...(prior?.status === 'interrupted' && { interrupted: true }),
      ...(prior?.lostAttempts ? { lostAttempts: prior.lostAttempts } : {}),
      ...(prior?.attempt && { resumed: prior.attempt }),
      outputs: context.ledger.outputs,
    },
  };
}

/** The `execution.rolling_back` event of a run about to run `queue`. */
export function rollingBackEvent(context: RollbackContext, queue: RollbackQueue): ExecutionEvent {
  return {
    type: 'execution.rolling_back',
    executionId: context.executionId,
    workflowId: context.workflowId,
    steps: queue.steps.map((i) => context.definition.steps[i]!.id),
    error: context.error,
  };
}

/** A rollback attempt's start as a `step.rollback_started` event (other reports: none). */
export function rollbackReportEvent(
  context: RollbackContext,
  report: StepReport,
): ExecutionEvent | undefined {
  if (report.type !== 'attempt.started') return undefined;
  return {
    type: 'step.rollback_started',
    executionId: context.executionId,
    workflowId: context.workflowId,
    stepId: rolledBackStepId(report.stepId),
    attempt: report.attempt,
    ...(report.resumed && { resumed: true }),
  };
}

/** How a rollback ended, as `step.rolled_back` or `step.rollback_failed`. */
export function rollbackEndEvent(
  context: RollbackContext,
  stepId: string,
  out: Pick<StepOutput, 'status' | 'attempts' | 'exitCode' | 'error'>,
): ExecutionEvent {
  const base = {
    executionId: context.executionId,
    workflowId: context.workflowId,
    stepId,
    attempt: out.attempts,
    exitCode: out.exitCode,
  };
  if (out.status === 'succeeded') return { type: 'step.rolled_back', ...base };
  return { type: 'step.rollback_failed', ...base, error: out.error ?? out.status };
}

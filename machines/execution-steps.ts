/**
 * How an execution names its step actors and reports how a step ended: children named by slot
 * (`step:<slot>`, see child-slots.ts) and the final `step.*` event of a StepOutput.
 * @module
 */
import type { ExecutionEvent } from '../src/events.ts';
import { slotChildId } from './child-slots.ts';
import type { StepOutput } from './step.machine.ts';

/** Prefix of the step actors' child ids. */
export const STEP_PREFIX = 'step:';

/**
 * The XState child id of the step actor in `slot`. Steps are named by slot (see
 * ExecutionLedger.slotStep); the step a step actor runs is in its input and its output.
 */
export function stepChildId(slot: number): string {
  return slotChildId(STEP_PREFIX, slot);
}

/** The `step.*` event that says how a step (or a forEach instance) ended. */
export function stepFinishedEvent(
  context: { executionId: string; workflowId: string },
  out: StepOutput,
): ExecutionEvent {
  const base = {
    executionId: context.executionId,
    workflowId: context.workflowId,
    stepId: out.stepId,
  };
  if (out.status === 'succeeded') {
    return {
      type: 'step.completed',
      ...base,
      attempt: out.attempts,
      exitCode: out.exitCode,
      ...(out.outputs && { outputs: out.outputs }),
    };
  }
  if (out.status === 'skipped')
    return { type: 'step.skipped', ...base, reason: out.error ?? 'skipped' };
  return {
    type: `step.${out.status}`,
    ...base,
    attempt: out.attempts,
    exitCode: out.exitCode,
    error: out.error ?? out.status,
    ...(out.status === 'interrupted' && { lostAttempts: out.lostAttempts }),
  };
}

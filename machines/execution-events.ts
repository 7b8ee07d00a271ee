/**
 * The events an execution emits of its own: its start and its end, and the `step.*` event each
 * `attempt.*` report of a step becomes (a step's final event: execution-steps.ts).
 * @module
 */
import type { ExecutionEvent } from '../src/events.ts';
import type {
  BlockingFinding,
  ExecutionMachineContext,
  ExecutionOutcome,
} from './execution-context.ts';
import { LOST_PROCESS, type StepReport } from './step-context.ts';

/** What the event builders read: the run's context. */
interface EventArgs {
  context: ExecutionMachineContext;
}

/** `execution.started`. */
export function startedEvent({ context }: EventArgs): ExecutionEvent {
  return {
    type: 'execution.started',
    executionId: context.executionId,
    workflowId: context.workflowId,
  };
}

/** `execution.blocked`: a policy refused the run (its error is set first). */
export function blockedEvent(
  { context }: EventArgs,
  params: { findings: BlockingFinding[] },
): ExecutionEvent {
  return {
    type: 'execution.blocked',
    executionId: context.executionId,
    workflowId: context.workflowId,
    status: 'blocked',
    error: context.error!,
    findings: params.findings,
  };
}

/** `execution.<status>`: how the run ended, with its error. */
export function endedEvent(
  { context }: EventArgs,
  params: { status: Exclude<ExecutionOutcome, 'blocked'> },
): ExecutionEvent {
  return {
    type: `execution.${params.status}`,
    executionId: context.executionId,
    workflowId: context.workflowId,
    status: params.status,
    error: context.error,
  };
}

/** The `step.*` event a step's `attempt.*` report becomes. */
export function stepReportEvent({ context }: EventArgs, report: StepReport): ExecutionEvent {
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
}

/**
 * What the step machine's named actions compute (wrapped by its `setup()` with assign and
 * sendParent): the `attempt.*` reports it sends its execution, and the context updates of an
 * attempt's result, a retry's delay and the step's end.
 * @module
 */
import { backoffDelay, jitterSample } from './backoff.ts';
import {
  LOST_PROCESS,
  type AttemptResult,
  type StepFinalStatus,
  type StepMachineContext,
  type StepReport,
} from './step-context.ts';

/** What an action implementation reads: the step's context. */
interface ActionArgs {
  context: StepMachineContext;
}

/** `attempt.started`: the current attempt began (or was resumed). */
export function startedReport({ context }: ActionArgs): StepReport {
  return {
    type: 'attempt.started',
    stepId: context.step.id,
    attempt: context.attempt,
    resumed: context.resuming,
  };
}

/** `attempt.lost`: the attempt's process was lost; the step runs again. */
export function lostReport({ context }: ActionArgs): StepReport {
  return {
    type: 'attempt.lost',
    stepId: context.step.id,
    attempt: context.attempt,
    lostAttempts: context.lostAttempts,
  };
}

/** `attempt.retrying`: the attempt failed; the next one starts after `retryDelayMs`. */
export function retryingReport({ context }: ActionArgs): StepReport {
  return {
    type: 'attempt.retrying',
    stepId: context.step.id,
    attempt: context.attempt,
    delayMs: context.retryDelayMs,
    error: context.error ?? 'failed',
  };
}

/** What an attempt's result leaves in the context. */
export function resultUpdate(_: unknown, result: AttemptResult): Partial<StepMachineContext> {
  return {
    exitCode: result.exitCode,
    error: result.ok ? null : (result.error ?? `exit code ${result.exitCode}`),
    nonRetryable: !result.ok && result.nonRetryable === true,
    result: result.ok ? (result.outputs ?? null) : null,
  };
}

/**
 * The delay before the next attempt; its jitter sample is drawn from the retry's identity. The
 * backoff grows with the step's own attempts: lost ones do not lengthen it.
 */
export function retryPlan({ context }: ActionArgs): Partial<StepMachineContext> {
  return {
    retryDelayMs: backoffDelay(
      context.step.retry,
      context.attempt - context.lostAttempts + 1,
      jitterSample(context.executionId, context.step.id, context.attempt + 1),
    ),
  };
}

/** The step's final status, and its error (a cancel or a lost process says so if none). */
export function settledUpdate(
  { context }: ActionArgs,
  params: { status: StepFinalStatus },
): Partial<StepMachineContext> {
  return {
    status: params.status,
    error:
      params.status === 'succeeded'
        ? null
        : params.status === 'cancelled' && !context.error
          ? 'cancelled'
          : params.status === 'interrupted' && !context.error
            ? LOST_PROCESS
            : context.error,
  };
}

/** The message of a rejected actor (an Error, or anything thrown). */
export function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return String(error.message);
  }
  return String(error);
}

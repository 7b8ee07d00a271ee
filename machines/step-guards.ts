/**
 * The step machine's guards and delays (named in step.machine.ts): questions about its context,
 * or about the result an attempt resolved with.
 * @module
 */
import { hasAttemptsLeft } from './backoff.ts';
import {
  MAX_LOST_ATTEMPTS,
  timeoutOf,
  type AttemptResult,
  type StepMachineContext,
} from './step-context.ts';

/** What a guard or a delay reads: the step's context. */
interface GuardArgs {
  context: StepMachineContext;
}

/** The guards, by the names the machine's transitions use. */
export const stepGuards = {
  isNoop: ({ context }: GuardArgs) => context.step.kind === 'noop',
  isApproval: ({ context }: GuardArgs) => context.step.kind === 'approval',
  // Instances carry their own step (no forEach): only the fanned-out step itself expands.
  isForEach: ({ context }: GuardArgs) => context.step.forEach !== undefined,
  // Only a fresh step asks: one resumed after a restart passed its condition before.
  hasCondition: ({ context }: GuardArgs) =>
    context.step.if !== undefined && context.attempt === 0 && context.resumed === undefined,
  conditionHeld: (_: unknown, held: boolean) => held,
  wasInterrupted: ({ context }: GuardArgs) => context.interrupted === true,
  resumesBackoff: ({ context }: GuardArgs) => context.resumed?.state === 'retrying',
  hasTimeout: ({ context }: GuardArgs) => timeoutOf(context) !== undefined,
  // Lost attempts are not the step's failures: they do not count against its policy.
  canRetry: ({ context }: GuardArgs) =>
    !context.nonRetryable &&
    hasAttemptsLeft(context.step.retry, context.attempt - context.lostAttempts),
  canRerunLost: ({ context }: GuardArgs) => context.lostAttempts <= MAX_LOST_ATTEMPTS,
  succeeded: (_: unknown, result: AttemptResult) => result.ok,
  wasLost: (_: unknown, result: AttemptResult) => result.lost === true,
};

/** The delays, by the names the machine's `after` uses. */
export const stepDelays = {
  // A resumed attempt has already used part of its time.
  stepTimeout: ({ context }: GuardArgs) =>
    Math.max(0, (timeoutOf(context) ?? 0) - context.elapsedMs),
  retryDelay: ({ context }: GuardArgs) => context.retryDelayMs,
};

/**
 * The execution machine's guards and its run timeout (named in execution.machine.ts): questions
 * about its context only, so a transition reads as the diagram does.
 * @module
 */
import type { ExecutionMachineContext } from './execution-context.ts';
import { allSettled } from './execution-ledger.ts';

/** What a guard or a delay reads: the run's context. */
interface GuardArgs {
  context: ExecutionMachineContext;
}

/** The guards, by the names the machine's transitions use. */
export const executionGuards = {
  /** A failure not tolerated has settled: the run rolls back. */
  runFailed: ({ context }: GuardArgs) => context.ledger.failedAt >= 0,
  runDone: ({ context }: GuardArgs) => allSettled(context.ledger),
  hasRunTimeout: ({ context }: GuardArgs) => context.definition.timeoutMs !== undefined,
  isPaused: ({ context }: GuardArgs) => context.paused !== null,
  rollbacksDone: ({ context }: GuardArgs) =>
    context.rollback !== null && context.rollback.next >= context.rollback.steps.length,
  endsTimedOut: ({ context }: GuardArgs) => context.ending === 'timed_out',
  /** The run was rehydrated mid-rollback (`rollingBack` in its input). */
  resumesRollback: ({ context }: GuardArgs) => context.rollingBack !== undefined,
};

/** The run timeout's delay: what is left of it (a resumed run has already used part). */
export function runTimeoutMs({ context }: GuardArgs): number {
  return Math.max(0, (context.definition.timeoutMs ?? 0) - (context.elapsedMs ?? 0));
}

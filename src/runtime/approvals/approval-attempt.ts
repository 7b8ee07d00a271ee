/**
 * The attempt of an `approval` step: it asks (`step.awaiting_approval`, stored with its
 * deadline before the gate opens), then waits for a decision, the deadline or a stop. No process
 * and no timer beyond one clock timeout; the run keeps its engine slot meanwhile.
 *
 * Durable rules: the deadline is stored (durable time), so an attempt resumed after a restart
 * waits only what is left of it; a decision stored before the restart is read from the record
 * and ends the attempt at once, never asked again. An approval resolves `succeeded` with the
 * decision as outputs (`approved`, `by`, `at`, `comment`), a rejection or the timeout fails the
 * step without retry.
 * @module
 */
import type { AttemptResult } from '../../../machines/step.machine.ts';
import type { Clock } from '../../clock.ts';
import type { ApprovalDecision } from '../../store/index.ts';
import {
  takeDecision,
  type ApprovalGates,
  type DecisionDeps,
  type OpenGate,
} from './approval-gates.ts';

/** What an approval attempt needs. */
export interface ApprovalAttemptDeps extends DecisionDeps {
  gates: ApprovalGates;
  clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
}

/** One approval attempt (its message already rendered). */
export interface ApprovalAttemptInput {
  executionId: string;
  workflowId: string;
  stepId: string;
  attempt: number;
  message: string;
  approvers?: string[];
  timeoutMs: number;
}

/** The longest a Node timer may be set for; longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const iso = (ms: number) => new Date(ms).toISOString();

/** The attempt's result for a decision. */
export function approvalResult(decision: ApprovalDecision): AttemptResult {
  if (decision.approved) {
    return {
      ok: true,
      exitCode: null,
      outputs: {
        approved: true,
        by: decision.by,
        at: decision.at,
        ...(decision.comment !== undefined && { comment: decision.comment }),
      },
    };
  }
  const error =
    decision.by === 'timeout'
      ? `approval timed out: no decision by ${decision.at}`
      : `rejected by '${decision.by}'${decision.comment ? `: ${decision.comment}` : ''}`;
  return { ok: false, exitCode: null, error, nonRetryable: true };
}

/** Runs one approval attempt until a decision, the deadline, or `signal`. */
export async function runApproval(
  deps: ApprovalAttemptDeps,
  input: ApprovalAttemptInput,
  signal: AbortSignal,
): Promise<AttemptResult> {
  const { executionId, workflowId, stepId, attempt } = input;
  const stored = deps.stored(executionId, stepId);
  const mine = stored?.attempt === attempt ? stored : undefined;
  if (mine?.decision) return approvalResult(mine.decision);
  let since = mine?.since;
  let deadline = mine?.deadline;
  if (since === undefined || deadline === undefined) {
    const now = deps.clock.now();
    since = iso(now);
    deadline = iso(now + input.timeoutMs);
    deps.emit({
      type: 'step.awaiting_approval',
      executionId,
      workflowId,
      stepId,
      attempt,
      message: input.message,
      ...(input.approvers && { approvers: input.approvers }),
      since,
      deadline,
    });
    await deps.settled(executionId);
  }
  if (signal.aborted) return { ok: false, exitCode: null, error: 'cancelled' };
  const due = Date.parse(deadline);
  return new Promise<AttemptResult>((resolve) => {
    let timer: unknown;
    let done = false;
    const finish = (result: AttemptResult) => {
      if (done) return;
      done = true;
      if (timer !== undefined) deps.clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      deps.gates.close(gate);
      resolve(result);
    };
    const gate: OpenGate = {
      executionId,
      workflowId,
      stepId,
      attempt,
      message: input.message,
      ...(input.approvers && { approvers: input.approvers }),
      since,
      deadline,
      resolve: (decision) => finish(approvalResult(decision)),
    };
    const onAbort = () => finish({ ok: false, exitCode: null, error: 'cancelled' });
    const arm = () => {
      const left = due - deps.clock.now();
      if (left > 0) {
        timer = deps.clock.setTimeout(arm, Math.min(left, MAX_TIMER_MS));
        return;
      }
      timer = undefined;
      const decision = { approved: false, by: 'timeout', at: iso(deps.clock.now()) };
      // A person decided first (conflict), or it could not be stored (shutting down): the
      // attempt ends as that decision says, or when this process stops it.
      takeDecision(deps, gate, decision).catch(() => undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    deps.gates.open(gate);
    arm();
  });
}

/**
 * The approval steps waiting on this process, and the one way a decision is taken: first
 * decision wins (set at once, before any await), stored before anyone hears of it. A decision
 * is an event (`step.approved` / `step.rejected`) that the recorder writes into the step's
 * `approval` field; only once that write is settled, and read back from the record, is the
 * waiting attempt woken and the caller answered. A kill -9 right after the answer therefore
 * cannot lose it: the attempt resumed after a restart reads it from the record.
 * @module
 */
import { ConflictError, UnavailableError } from '../../errors.ts';
import type { ExecutionEvent } from '../../events.ts';
import type { ApprovalDecision, StepApproval } from '../../store/index.ts';
import type { Clock } from '../../clock.ts';

/** One approval step waiting here. */
export interface OpenGate {
  executionId: string;
  workflowId: string;
  stepId: string;
  attempt: number;
  message: string;
  approvers?: string[];
  since: string;
  deadline: string;
  /** The decision taken (set before it is stored: a second one is refused meanwhile). */
  decision?: ApprovalDecision;
  /** Wakes the waiting attempt with the stored decision. */
  resolve(decision: ApprovalDecision): void;
}

/** What taking a decision needs. */
export interface DecisionDeps {
  emit(event: ExecutionEvent): void;
  /** Resolves once every event of the run emitted so far is stored. */
  settled(executionId: string): Promise<void>;
  /** The step's approval as recorded here (the live record), if the run is live here. */
  stored(executionId: string, stepId: string): StepApproval | undefined;
}

/** The gates open on this process, by run. */
export class ApprovalGates {
  readonly #byRun = new Map<string, Map<string, OpenGate>>();
  readonly #openWaiters = new Map<string, Set<() => void>>();

  constructor(private readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>) {}

  open(gate: OpenGate): void {
    let gates = this.#byRun.get(gate.executionId);
    if (!gates) this.#byRun.set(gate.executionId, (gates = new Map()));
    gates.set(gate.stepId, gate);
    const waiters = this.#openWaiters.get(gate.executionId);
    this.#openWaiters.delete(gate.executionId);
    waiters?.forEach((wake) => wake());
  }

  close(gate: OpenGate): void {
    const gates = this.#byRun.get(gate.executionId);
    if (gates?.get(gate.stepId) !== gate) return;
    gates.delete(gate.stepId);
    if (gates.size === 0) this.#byRun.delete(gate.executionId);
  }

  /** The gates open for a run, oldest first. */
  of(executionId: string): OpenGate[] {
    const gates = [...(this.#byRun.get(executionId)?.values() ?? [])];
    return gates.sort((a, b) => (a.since < b.since ? -1 : a.since > b.since ? 1 : 0));
  }

  /** Resolves when a gate of the run opens here, or after `timeoutMs`. */
  whenOpened(executionId: string, timeoutMs: number): Promise<void> {
    if (this.#byRun.has(executionId)) return Promise.resolve();
    return new Promise((resolve) => {
      let waiters = this.#openWaiters.get(executionId);
      if (!waiters) this.#openWaiters.set(executionId, (waiters = new Set()));
      const wake = () => {
        this.clock.clearTimeout(timer);
        waiters.delete(wake);
        resolve();
      };
      const timer = this.clock.setTimeout(wake, timeoutMs);
      waiters.add(wake);
    });
  }

  get size(): number {
    return this.#byRun.size;
  }
}

/** The refusal of a second decision. */
export function alreadyDecided(
  executionId: string,
  stepId: string,
  decision: ApprovalDecision,
): ConflictError {
  const what = decision.approved ? 'approved' : 'rejected';
  const by = decision.by === 'timeout' ? 'by its timeout' : `by '${decision.by}'`;
  return new ConflictError(
    `step '${stepId}' of execution '${executionId}' was already ${what} ${by} at ${decision.at}`,
    { stepId, decision },
  );
}

/**
 * Takes `decision` for `gate`: refused if one was taken; emitted, stored, read back, and only
 * then the attempt woken. UnavailableError when it could not be stored (this process is shutting
 * down or lost the run): nothing was decided, the caller may try again.
 */
export async function takeDecision(
  deps: DecisionDeps,
  gate: OpenGate,
  decision: ApprovalDecision,
): Promise<ApprovalDecision> {
  if (gate.decision) throw alreadyDecided(gate.executionId, gate.stepId, gate.decision);
  gate.decision = decision;
  deps.emit({
    type: decision.approved ? 'step.approved' : 'step.rejected',
    executionId: gate.executionId,
    workflowId: gate.workflowId,
    stepId: gate.stepId,
    attempt: gate.attempt,
    by: decision.by,
    at: decision.at,
    ...(decision.comment !== undefined && { comment: decision.comment }),
  });
  await deps.settled(gate.executionId);
  const stored = deps.stored(gate.executionId, gate.stepId);
  if (stored?.attempt !== gate.attempt || stored.decision?.at !== decision.at) {
    gate.decision = undefined;
    throw new UnavailableError(
      `the decision on step '${gate.stepId}' of execution '${gate.executionId}' could not be stored here; try again`,
    );
  }
  gate.resolve(stored.decision);
  return stored.decision;
}

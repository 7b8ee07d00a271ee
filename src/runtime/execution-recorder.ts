/**
 * Turns a run's events into its durable record: step rows and execution fields in the store.
 * It keeps each live run's step records in memory (outside any actor snapshot) so applying an
 * event costs O(1) whatever the run's size, and fills `durationMs` into final events.
 * @module
 */
import type { ExecutionEvent } from '../events.ts';
import { STEP_STATUS_OF } from '../events.ts';
import type { ExecutionRecord, StepRecord, Store } from '../store/index.ts';
import { copyStep, copySummary, pendingStep } from '../store/index.ts';
import type { Clock } from '../clock.ts';
import { rollbackStepId } from '../../machines/execution-rollback.ts';

interface LiveExecution {
  record: ExecutionRecord;
  steps: Map<string, StepRecord>;
  stepStartMs: Map<string, number>;
  startMs: number;
}

/** Applies execution events to the store, in the order they are given. */
export class ExecutionRecorder {
  readonly #runs = new Map<string, LiveExecution>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Starts tracking a run whose record is already in the store. */
  track(record: ExecutionRecord): void {
    const steps = new Map<string, StepRecord>();
    for (const s of record.steps) steps.set(s.id, { ...s });
    this.#runs.set(record.id, { record, steps, stepStartMs: new Map(), startMs: this.clock.now() });
  }

  /** Stops tracking (after the final event, or when the run is handed to another process). */
  forget(executionId: string): void {
    this.#runs.delete(executionId);
  }

  /** Current in-memory step record, if the run is live here. */
  step(executionId: string, stepId: string): StepRecord | undefined {
    return this.#runs.get(executionId)?.steps.get(stepId);
  }

  /**
   * The run's whole record as written so far (what the store returns for it), as a copy; its
   * definition is shared (definitions a process runs are frozen). Undefined if not tracked.
   */
  record(executionId: string): ExecutionRecord | undefined {
    const run = this.#runs.get(executionId);
    if (!run) return undefined;
    return {
      ...copySummary(run.record),
      definition: run.record.definition,
      steps: Array.from(run.steps.values(), copyStep),
    };
  }

  /** True while the run is tracked. */
  has(executionId: string): boolean {
    return this.#runs.has(executionId);
  }

  /**
   * Persists what `event` changes. Mutates `event` to add `durationMs` where it applies.
   * Resolves once the store has the change (persist before publish). `atMs` is the time the
   * event was stamped with (its `ts`), which records carry rather than the time of the write.
   */
  async apply(event: ExecutionEvent, atMs?: number): Promise<void> {
    const run = this.#runs.get(event.executionId);
    if (!run) return;
    const stampedAt = (event as { ts?: string }).ts;
    const now = atMs ?? (stampedAt ? Date.parse(stampedAt) : this.clock.now());
    const iso = stampedAt ?? new Date(now).toISOString();
    switch (event.type) {
      case 'execution.started':
        run.startMs = now;
        // A run resumed while an approval step waits is still waiting for it; one resumed
        // mid-rollback goes on rolling back (its machine starts there).
        run.record.status =
          run.record.status === 'rolling_back'
            ? 'rolling_back'
            : anyWaiting(run)
              ? 'awaiting_approval'
              : 'running';
        // A rehydrated run keeps the start time of its first life.
        run.record.startedAt ??= iso;
        // The engine and process that took the run are written with its start, in one write.
        return this.store.updateExecution(event.executionId, {
          status: run.record.status,
          startedAt: run.record.startedAt,
          engineId: run.record.engineId,
          node: run.record.node,
        });
      case 'execution.paused':
        run.record.paused = {
          at: iso,
          by: event.by,
          reason: event.reason,
          ...(event.reason === 'breakpoint' && { stepId: event.stepId }),
        };
        return this.store.updateExecution(event.executionId, { paused: run.record.paused });
      case 'execution.rolling_back':
        // The pause ended with the steps: nothing new starts while rolling back.
        delete run.record.paused;
        run.record.status = 'rolling_back';
        // The original failure, stored now: a run resumed mid-rollback ends with it (and
        // `timed_out` when it is the run timeout's), whatever its step records show.
        run.record.error = event.error;
        return this.store.updateExecution(event.executionId, {
          status: 'rolling_back',
          paused: null,
          error: event.error,
        });
      case 'execution.resumed':
        delete run.record.paused;
        return this.store.updateExecution(event.executionId, { paused: null });
      case 'execution.completed':
      case 'execution.failed':
      case 'execution.cancelled':
      case 'execution.timed_out': {
        event.durationMs = now - run.startMs;
        // A run that ends paused (cancelled, timed out) is paused no more.
        const wasPaused = run.record.paused !== undefined;
        delete run.record.paused;
        run.record.status = event.status;
        run.record.finishedAt = iso;
        run.record.error = event.error ?? null;
        run.record.startedAt ??= iso;
        return this.store.updateExecution(event.executionId, {
          status: event.status,
          finishedAt: iso,
          error: event.error ?? null,
          startedAt: run.record.startedAt,
          ...(wasPaused && { paused: null }),
        });
      }
      case 'step.started': {
        const step = this.#step(run, event.stepId);
        step.status = 'running';
        step.attempts = event.attempt;
        step.startedAt ??= iso;
        // A resumed attempt keeps its start: its sleep and timeout count from there.
        if (!event.resumed || !step.attemptStartedAt) step.attemptStartedAt = iso;
        step.retryAt = null;
        step.finishedAt = null;
        step.error = null;
        if (event.items !== undefined) step.items = event.items;
        run.stepStartMs.set(
          event.stepId,
          event.resumed ? Date.parse(step.attemptStartedAt ?? iso) || now : now,
        );
        await this.store.putStep(event.executionId, step);
        // An approval step may have asked before its start was applied.
        if (step.approval) return this.#syncWaiting(run);
        return;
      }
      case 'step.retrying': {
        const step = this.#step(run, event.stepId);
        step.status = 'retrying';
        step.error = event.error;
        // The backoff's deadline, so a restart waits only what is left of it.
        step.retryAt = new Date(now + event.delayMs).toISOString();
        return this.store.putStep(event.executionId, step);
      }
      case 'step.completed':
      case 'step.failed':
      case 'step.timed_out':
      case 'step.cancelled':
      case 'step.interrupted': {
        const step = this.#step(run, event.stepId);
        const started = run.stepStartMs.get(event.stepId);
        if (event.type === 'step.completed') event.durationMs = started ? now - started : 0;
        step.status = STEP_STATUS_OF[event.type];
        step.attempts = Math.max(step.attempts, event.attempt);
        step.exitCode = event.exitCode;
        step.startedAt ??= iso;
        step.finishedAt = iso;
        step.error = event.type === 'step.completed' ? null : event.error;
        if (event.type === 'step.interrupted' && event.lostAttempts !== undefined) {
          step.lostAttempts = event.lostAttempts;
        }
        if (event.type === 'step.completed' && event.outputs !== undefined) {
          step.outputs = event.outputs;
        }
        run.stepStartMs.delete(event.stepId);
        await this.store.putStep(event.executionId, step);
        // A waiting approval step that ends undecided (cancelled) waits no more.
        if (step.approval) return this.#syncWaiting(run);
        return;
      }
      // A rollback's record is the step `<id>:rollback` (execution-rollback.ts).
      case 'step.rollback_started': {
        const step = this.#step(run, rollbackStepId(event.stepId));
        step.status = 'running';
        step.attempts = event.attempt;
        step.startedAt ??= iso;
        if (!event.resumed || !step.attemptStartedAt) step.attemptStartedAt = iso;
        step.finishedAt = null;
        step.error = null;
        return this.store.putStep(event.executionId, step);
      }
      case 'step.rolled_back':
      case 'step.rollback_failed': {
        const step = this.#step(run, rollbackStepId(event.stepId));
        step.status = event.type === 'step.rolled_back' ? 'succeeded' : 'failed';
        step.attempts = Math.max(step.attempts, event.attempt);
        step.exitCode = event.exitCode;
        step.startedAt ??= iso;
        step.finishedAt = iso;
        step.error = event.error ?? null;
        return this.store.putStep(event.executionId, step);
      }
      case 'step.child': {
        const step = this.#step(run, event.stepId);
        step.childExecutionId = event.childExecutionId;
        return this.store.putStep(event.executionId, step);
      }
      case 'step.awaiting_approval': {
        const step = this.#step(run, event.stepId);
        step.approval = {
          attempt: event.attempt,
          message: event.message,
          ...(event.approvers && { approvers: [...event.approvers] }),
          since: event.since,
          deadline: event.deadline,
        };
        await this.store.putStep(event.executionId, step);
        return this.#syncWaiting(run);
      }
      case 'step.approved':
      case 'step.rejected': {
        const step = this.#step(run, event.stepId);
        if (step.approval?.attempt !== event.attempt || step.approval.decision) return;
        step.approval = {
          ...step.approval,
          decision: {
            approved: event.type === 'step.approved',
            by: event.by,
            at: event.at,
            ...(event.comment !== undefined && { comment: event.comment }),
          },
        };
        await this.store.putStep(event.executionId, step);
        return this.#syncWaiting(run);
      }
      case 'step.artifacts': {
        const step = this.#step(run, event.stepId);
        step.artifacts = event.artifacts.map((a) => ({ ...a }));
        return this.store.putStep(event.executionId, step);
      }
      case 'step.skipped': {
        const step = this.#step(run, event.stepId);
        step.status = 'skipped';
        step.finishedAt = iso;
        step.error = event.reason;
        return this.store.putStep(event.executionId, step);
      }
      default:
        return;
    }
  }

  /** `awaiting_approval` while an approval step waits, `running` once none does. */
  #syncWaiting(run: LiveExecution): Promise<void> | undefined {
    const current = run.record.status;
    if (current !== 'running' && current !== 'awaiting_approval') return;
    const status = anyWaiting(run) ? 'awaiting_approval' : 'running';
    if (status === current) return;
    run.record.status = status;
    return this.store.updateExecution(run.record.id, { status });
  }

  #step(run: LiveExecution, stepId: string): StepRecord {
    let step = run.steps.get(stepId);
    if (!step) {
      step = pendingStep(stepId);
      run.steps.set(stepId, step);
    }
    return step;
  }
}

/** True while a step of the run waits for a decision. */
function anyWaiting(run: LiveExecution): boolean {
  for (const step of run.steps.values()) {
    const a = step.approval;
    if (a && !a.decision && step.status === 'running' && a.attempt === step.attempts) return true;
  }
  return false;
}

/**
 * Cancelling executions wherever they are: a live run here is sent `cancel` and answered when
 * it ends; a run in progress on another process is cancelled by its owner over
 * `stator.execution.<id>.in` (settled here if the owner is gone); a queued run is settled in
 * the store without ever getting an actor (`cancelled`, its steps `skipped`).
 * @module
 */
import type { Bus } from '../../bus/types.ts';
import { actorIn } from '../../bus/subjects.ts';
import type { Clock } from '../../clock.ts';
import { ConflictError, StatorError, type WireError } from '../../errors.ts';
import { FINAL_EXECUTION_STATUSES, type ExecutionRecord, type Store } from '../../store/index.ts';
import type { EventPipeline } from '../event-pipeline.ts';
import type { LiveExecutions } from '../live-executions.ts';
import type { WorkQueue } from '../work-queue.ts';

/** What cancelling uses. */
export interface ExecutionCancelContext {
  executions: Pick<LiveExecutions, 'get' | 'waitFor' | 'finish'>;
  /** Records created here and not yet adopted. */
  created: Map<string, ExecutionRecord>;
  queue: Pick<WorkQueue, 'remove'>;
  store: Pick<Store, 'getExecution' | 'updateExecution' | 'putStep'>;
  pipeline: Pick<EventPipeline, 'emit'>;
  bus: Pick<Bus, 'request'>;
  /** The work queue is this process's own (embedded): no other process runs its runs. */
  localQueue: boolean;
  /** This process's node name (the `node` of the runs it holds). */
  node: string;
  /** What an inbound route returns to stay silent (see actor-router.ts). */
  notMine: symbol;
  /** The stored record; NotFoundError when there is none. */
  getExecution(id: string): Promise<ExecutionRecord>;
  clock: Pick<Clock, 'now'>;
}

/** How long a cancel waits for the process that runs the execution. */
const OWNER_TIMEOUT_MS = 5000;

/** Cancels executions, live, remote or queued. */
export class ExecutionCancel {
  /** Runs whose owner this process is asking to cancel them (see cancelInbound). */
  readonly #asking = new Map<string, number>();

  constructor(private readonly ctx: ExecutionCancelContext) {}

  /** Cancels a run; ConflictError when it already finished. Resolves with its record. */
  async cancel(id: string, reason?: string): Promise<ExecutionRecord> {
    const { executions, created } = this.ctx;
    const live = executions.get(id);
    if (live) {
      const ended = executions.waitFor(id);
      if (live.actor) live.actor.send({ type: 'cancel', reason: reason ?? 'cancelled on request' });
      else live.cancelled = true;
      return (await ended) ?? this.ctx.getExecution(id);
    }
    const record = created.get(id) ?? (await this.ctx.getExecution(id));
    if (FINAL_EXECUTION_STATUSES.includes(record.status)) {
      throw new ConflictError(`execution '${id}' already ${record.status}`, {
        status: record.status,
      });
    }
    if (this.#runsElsewhere(record)) {
      const answer = await this.#askOwner(id, reason);
      if (answer) return answer;
    }
    return this.#cancelQueued(record, reason);
  }

  /**
   * A cancel arriving on `stator.execution.<id>.in`: every process receives it, so a process
   * that does not hold a run running on another process stays silent and lets the owner answer.
   */
  async cancelInbound(id: string, reason?: string): Promise<ExecutionRecord | symbol> {
    // Its own request to the owner reaches this process too. Were it to answer, it could read
    // the record the owner has just settled and answer `conflict` before the owner's `ok`.
    if (this.#asking.has(id)) return this.ctx.notMine;
    if (!this.ctx.executions.get(id)) {
      const record = this.ctx.created.get(id) ?? (await this.ctx.store.getExecution(id));
      if (
        record &&
        !FINAL_EXECUTION_STATUSES.includes(record.status) &&
        this.#runsElsewhere(record)
      ) {
        return this.ctx.notMine;
      }
    }
    return this.cancel(id, reason);
  }

  /** True when the run is in progress on another process of the cluster. */
  #runsElsewhere(record: ExecutionRecord): boolean {
    return (
      !this.ctx.localQueue &&
      record.status !== 'pending' &&
      record.node !== null &&
      record.node !== this.ctx.node
    );
  }

  /** The owner cancels it and answers; undefined when nobody answers (the owner is gone). */
  async #askOwner(id: string, reason?: string): Promise<ExecutionRecord | undefined> {
    this.#asking.set(id, (this.#asking.get(id) ?? 0) + 1);
    try {
      const reply = await this.ctx.bus.request(
        actorIn('execution', id),
        { type: 'cancel', ...(reason !== undefined && { reason }) },
        { timeoutMs: OWNER_TIMEOUT_MS },
      );
      const body = reply.json<{ ok: boolean; data?: ExecutionRecord; error?: WireError }>();
      if (body.ok && body.data) return body.data;
      if (body.error) throw new StatorError(body.error.code, body.error.message, body.error);
    } catch (err) {
      if (!(err instanceof StatorError) || !['timeout', 'no_responders'].includes(err.code)) {
        throw err;
      }
    } finally {
      const left = (this.#asking.get(id) ?? 1) - 1;
      if (left > 0) this.#asking.set(id, left);
      else this.#asking.delete(id);
    }
    return undefined;
  }

  /**
   * Queued (here or in the cluster's queue) and not running anywhere: settle it in the store;
   * whoever takes it from the queue later finds it finished and skips it.
   */
  async #cancelQueued(record: ExecutionRecord, reason?: string): Promise<ExecutionRecord> {
    const { store, pipeline, clock } = this.ctx;
    const id = record.id;
    this.ctx.queue.remove(id);
    this.ctx.created.delete(id);
    record.status = 'cancelled';
    const error = {
      code: 'cancelled' as const,
      message: reason ?? 'cancelled before start',
      recoverable: false,
    };
    await store.updateExecution(id, {
      status: 'cancelled',
      finishedAt: new Date(clock.now()).toISOString(),
      error,
    });
    // Its steps never ran: record them skipped, as a run cancelled while running does.
    const finishedAt = new Date(clock.now()).toISOString();
    for (const step of record.steps) {
      if (step.status !== 'pending') continue;
      await store.putStep(id, { ...step, status: 'skipped', finishedAt, error: 'run cancelled' });
      pipeline.emit('execution', id, {
        type: 'step.skipped',
        executionId: id,
        workflowId: record.workflowId,
        stepId: step.id,
        reason: 'run cancelled',
      });
    }
    pipeline.emit('execution', id, {
      type: 'execution.cancelled',
      executionId: id,
      workflowId: record.workflowId,
      status: 'cancelled',
      error,
    });
    this.ctx.executions.finish(id);
    return this.ctx.getExecution(id);
  }
}

/**
 * Cancelling executions wherever they are. A run live (or being adopted) here is sent `cancel`
 * and answered when it ends. Any other run is cancelled by whoever holds it, asked on
 * `stator.execution.<id>.in`, which only the holder subscribes (actor-router.ts). When nobody
 * does (a queued run, or one whose node is gone) it is settled in the store: `cancelled`, its
 * steps `skipped`, without ever getting an actor.
 *
 * Settling needs no lock against an engine adopting the run at that moment, because an adopter
 * subscribes the run's subject *before* it reads the record (owned-executions.ts): after writing
 * `cancelled`, the canceller asks once more. Nobody answers: every later adopter reads the write
 * and skips the run. An adopter answers: it either read the record before the write (it holds
 * the run live and cancels it, with its own events) or after it (it skipped the run and says
 * `conflict`, and the canceller reports the cancel). Either way the caller gets `ok` once and the
 * run ends once. (Before, every process subscribed every run's subject: a process that did not
 * hold a run answered from a record read racing the owner's, and queued runs were settled while
 * an engine was starting them, so parallel cancels saw `conflict` or runs left `running`.)
 * @module
 */
import type { Bus } from '../../bus/types.ts';
import { requestOwner } from '../../bus/owner-request.ts';
import type { Clock } from '../../clock.ts';
import { ConflictError, NoRespondersError, StatorError, UnavailableError } from '../../errors.ts';
import { FINAL_EXECUTION_STATUSES, type ExecutionRecord, type Store } from '../../store/index.ts';
import type { EventPipeline } from '../event-pipeline.ts';
import type { LiveExecutions } from '../live-executions.ts';
import type { WorkQueue } from '../work-queue/index.ts';
import type { OwnedExecutions } from './owned-executions.ts';

/** What cancelling uses. */
export interface ExecutionCancelContext {
  executions: Pick<LiveExecutions, 'get' | 'waitFor' | 'finish'>;
  /** Runs adopting or live here (their inbound subject is subscribed here). */
  owned: Pick<OwnedExecutions, 'adopting' | 'handedBack' | 'forgetWaits'>;
  /** Records created here and not yet adopted. */
  created: Map<string, ExecutionRecord>;
  queue: Pick<WorkQueue, 'remove' | 'unreserve'>;
  store: Pick<Store, 'getExecution' | 'updateExecution' | 'putStep'>;
  pipeline: Pick<EventPipeline, 'emit'>;
  bus: Pick<Bus, 'request' | 'subjects'>;
  /** The stored record; NotFoundError when there is none. */
  getExecution(id: string): Promise<ExecutionRecord>;
  clock: Pick<Clock, 'now'>;
  /** How long the holder may take to end a run it is asked to cancel (kill grace included). */
  ownerTimeoutMs: number;
}

/** What #cancelHere says of a run that went back to the queue before it ended. */
const HANDED_BACK: unique symbol = Symbol('handed back');

/** Cancels executions, live, remote or queued. */
export class ExecutionCancel {
  constructor(private readonly ctx: ExecutionCancelContext) {}

  /**
   * Cancels a run; ConflictError when it already finished. Resolves with its record. `details`
   * go into the error of a run settled before it started (a debounced run: debounce.ts).
   */
  async cancel(id: string, reason?: string, details?: unknown): Promise<ExecutionRecord> {
    const here = await this.#cancelHere(id, reason);
    if (here !== undefined && here !== HANDED_BACK) return here;
    const record = this.ctx.created.get(id) ?? (await this.ctx.getExecution(id));
    if (FINAL_EXECUTION_STATUSES.includes(record.status)) throw alreadyOver(record);
    const answer = await this.#askHolder(record, reason);
    if (answer.held) return answer.data;
    return this.#settle(record, reason, details);
  }

  /**
   * A cancel on `stator.execution.<id>.in`, which only this process subscribes while it adopts
   * or runs the run. Never asks anyone else (the question could come back here).
   */
  async cancelOwned(id: string, reason?: string): Promise<ExecutionRecord> {
    const here = await this.#cancelHere(id, reason);
    if (here !== undefined && here !== HANDED_BACK) return here;
    // The adoption found the run over, or it left this process a moment ago (the question was
    // on its way when the subscription was drained): nobody holds it now.
    const record = await this.ctx.getExecution(id);
    if (FINAL_EXECUTION_STATUSES.includes(record.status)) throw alreadyOver(record);
    throw new NoRespondersError(this.ctx.bus.subjects.actorIn('execution', id));
  }

  /**
   * Cancels the run if it is live or being adopted here and resolves with its final record;
   * undefined when it is not here, HANDED_BACK when it went back to the queue before it ended
   * (an engine refused it): the cancel it was sent died with that copy.
   */
  async #cancelHere(
    id: string,
    reason?: string,
  ): Promise<ExecutionRecord | typeof HANDED_BACK | undefined> {
    const { executions, owned } = this.ctx;
    if (!executions.get(id)) await owned.adopting(id)?.catch(() => undefined);
    const live = executions.get(id);
    if (!live) return undefined;
    const ended = executions.waitFor(id);
    const handedBack = owned.handedBack(id).then((): typeof HANDED_BACK => HANDED_BACK);
    if (live.actor) live.actor.send({ type: 'cancel', reason: reason ?? 'cancelled on request' });
    else live.cancelled = true;
    const outcome = await Promise.race([ended, handedBack]);
    owned.forgetWaits(id);
    return outcome ?? this.ctx.getExecution(id);
  }

  /** The holder's answer, or `held: false` when nobody subscribes the run's subject. */
  async #askHolder(record: ExecutionRecord, reason?: string) {
    try {
      return await this.#ask(record, reason);
    } catch (err) {
      throw isTimeout(err) ? holderSilent(record, err) : err;
    }
  }

  #ask(record: ExecutionRecord, reason?: string) {
    return requestOwner<ExecutionRecord>(
      this.ctx.bus,
      this.ctx.bus.subjects.actorIn('execution', record.id),
      { type: 'cancel', ...(reason !== undefined && { reason }) },
      this.ctx.ownerTimeoutMs,
    );
  }

  /**
   * Nobody holds the run (queued, or its node is gone): settle it in the store, then make sure
   * no adopter started it meanwhile (see the module comment); whoever takes it from the queue
   * later finds it finished and skips it. The status alone is written before the second
   * question: a record is read in parts (status, then steps), and steps already `skipped` under
   * a status still `pending` would make an adopter's run end at once as `completed`.
   */
  async #settle(
    record: ExecutionRecord,
    reason?: string,
    details?: unknown,
  ): Promise<ExecutionRecord> {
    const { store, clock } = this.ctx;
    const id = record.id;
    this.ctx.queue.remove(id);
    this.ctx.created.delete(id);
    const error = {
      code: 'cancelled' as const,
      message: reason ?? 'cancelled before start',
      ...(details !== undefined && { details }),
      recoverable: false,
    };
    const finishedAt = new Date(clock.now()).toISOString();
    // Its holder may have finished it and let go since the record was read.
    const current = await this.ctx.getExecution(id);
    if (FINAL_EXECUTION_STATUSES.includes(current.status)) throw alreadyOver(current);
    // A run a flow limit held waits no more.
    await store.updateExecution(id, { status: 'cancelled', finishedAt, error, waiting: null });
    // Its place in a shared queue's workflow bound is free now, not when a taker skips it.
    if (record.definition.maxQueuedExecutions !== undefined) {
      this.ctx.queue.unreserve?.(record.workflowId, id);
    }
    const adopter = await this.#ask(record, reason).catch((err: unknown) => {
      if (isTimeout(err)) throw holderSilent(record, err);
      // It read the write and skipped the run (conflict), or handed it back: checked below.
      if (err instanceof StatorError) return { held: false as const };
      throw err;
    });
    // It had read the record before the write: it ran the run, cancelled it and reported it.
    if (adopter.held) return adopter.data;
    const after = await this.ctx.getExecution(id);
    if (after.status !== 'cancelled') {
      // An adopter that read it before the write ran it to its end (its record won).
      if (FINAL_EXECUTION_STATUSES.includes(after.status)) throw alreadyOver(after);
      throw new UnavailableError(`execution '${id}' started while it was cancelled; try again`);
    }
    await this.#skipSteps(after, finishedAt, error);
    this.ctx.executions.finish(id);
    return this.ctx.getExecution(id);
  }

  /** Records a settled run's steps skipped (they never ran) and reports its end. */
  async #skipSteps(
    record: ExecutionRecord,
    finishedAt: string,
    error: { code: 'cancelled'; message: string; details?: unknown; recoverable: boolean },
  ): Promise<void> {
    const { store, pipeline } = this.ctx;
    const { id, workflowId } = record;
    const skipped = record.steps.filter((s) => s.status === 'pending');
    for (const step of skipped) {
      await store.putStep(id, { ...step, status: 'skipped', finishedAt, error: 'run cancelled' });
    }
    for (const step of skipped) {
      pipeline.emit('execution', id, {
        type: 'step.skipped',
        executionId: id,
        workflowId,
        stepId: step.id,
        reason: 'run cancelled',
      });
    }
    pipeline.emit('execution', id, {
      type: 'execution.cancelled',
      executionId: id,
      workflowId,
      status: 'cancelled',
      error,
    });
  }
}

const isTimeout = (err: unknown): boolean => err instanceof StatorError && err.code === 'timeout';

/** A holder that did not answer in time: alive but stuck, or gone without its node noticing. */
function holderSilent(record: ExecutionRecord, cause: unknown): UnavailableError {
  const where = record.node === null ? 'its holder' : `node '${record.node}'`;
  return new UnavailableError(
    `execution '${record.id}' is held by ${where}, which did not answer the cancel in time`,
    cause,
  );
}

/** The refusal of a cancel of a finished run. */
function alreadyOver(record: ExecutionRecord): ConflictError {
  return new ConflictError(`execution '${record.id}' already ${record.status}`, {
    status: record.status,
  });
}

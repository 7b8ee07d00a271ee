/**
 * Pausing and resuming one run wherever it is, routed like a cancel (execution-cancel.ts): a run
 * live here is sent `pause` or `resume`; any other is asked of its holder on
 * `stator.execution.<id>.in`; a run nobody holds (queued, or its node is gone) has the pause
 * written to its record, which the engine that adopts it reads (the run starts paused).
 *
 * The pause is in the store before the answer: a live run's holder writes it once the actor took
 * it (the recorder writes it again from `execution.paused`, the same value), so a kill -9 right
 * after the answer restarts the run paused. Both are idempotent: pausing a paused run, or
 * resuming one that is not paused, answers its record unchanged. A finished run answers
 * `conflict`. While paused the run's status stays `running` (or `awaiting_approval`), with
 * `paused: {at, by, reason, stepId?}` set on its record.
 * @module
 */
import { requestOwner, type Bus } from '../../bus/index.ts';
import type { Clock } from '../../clock.ts';
import { ConflictError, NoRespondersError } from '../../errors.ts';
import {
  FINAL_EXECUTION_STATUSES,
  type ExecutionRecord,
  type PauseInfo,
  type Store,
} from '../../store/index.ts';
import type { LiveExecutions } from '../live-executions.ts';
import type { OwnedExecutions } from './owned-executions.ts';

/** What pausing uses. */
export interface ExecutionPauseContext {
  executions: Pick<LiveExecutions, 'get'>;
  owned: Pick<OwnedExecutions, 'adopting'>;
  /** Records created here and not yet adopted (handed to the engine from memory, embedded). */
  created: Map<string, ExecutionRecord>;
  store: Pick<Store, 'updateExecution'>;
  bus: Pick<Bus, 'request' | 'subjects'>;
  /** The stored record; NotFoundError when there is none. */
  getExecution(id: string): Promise<ExecutionRecord>;
  clock: Pick<Clock, 'now'>;
  /** How long the holder may take to answer. */
  ownerTimeoutMs: number;
}

/** A pause or a resume, and who asks. */
export interface PauseRequest {
  pause: boolean;
  /** @default "anonymous" */
  by?: string;
}

/** Pauses and resumes runs, live, remote or queued. */
export class ExecutionPauses {
  constructor(private readonly ctx: ExecutionPauseContext) {}

  /** Pauses or resumes run `id` wherever it is held; resolves with its record. */
  async set(id: string, request: PauseRequest): Promise<ExecutionRecord> {
    const here = await this.#here(id, request);
    if (here) return here;
    const stored = await this.#unfinished(id);
    const record = this.ctx.created.get(id) ?? stored;
    const answer = await this.#ask(id, request);
    if (answer.held) return answer.data;
    // Nobody holds it: the adopter reads the record; asked once more in case one read it before.
    await this.#write(record, request);
    const again = await this.#ask(id, request);
    if (again.held) return again.data;
    return this.ctx.getExecution(id);
  }

  /** A pause or resume on `stator.execution.<id>.in`, which only the holder subscribes. */
  async setOwned(id: string, request: PauseRequest): Promise<ExecutionRecord> {
    const here = await this.#here(id, request);
    if (here) return here;
    await this.#unfinished(id);
    throw new NoRespondersError(this.ctx.bus.subjects.actorIn('execution', id));
  }

  /** Applies the request to the run if it is live here; undefined when it is not. */
  async #here(id: string, request: PauseRequest): Promise<ExecutionRecord | undefined> {
    const { executions, owned } = this.ctx;
    if (!executions.get(id)) await owned.adopting(id)?.catch(() => undefined);
    const live = executions.get(id);
    if (!live) return undefined;
    const by = request.by ?? 'anonymous';
    const actor = live.actor;
    if (actor === undefined) {
      // Not started yet: the actor is created with the record's pause (execution-actor.ts).
      await this.#unfinished(id);
      await this.#write(live.record, request);
      return this.ctx.getExecution(id);
    }
    if (actor.getSnapshot().status !== 'active') throw alreadyOver(await this.ctx.getExecution(id));
    actor.send({ type: request.pause ? 'pause' : 'resume', by });
    const snap = actor.getSnapshot();
    if (snap.status !== 'active') return this.ctx.getExecution(id);
    const paused = snap.context.paused;
    if (request.pause && paused !== null) {
      // Stored before the answer (the recorder's write from the event may still be queued).
      const info = pauseInfo(paused, this.ctx.clock.now());
      live.record.paused ??= info;
      await this.ctx.store.updateExecution(id, { paused: live.record.paused });
    } else if (!request.pause && paused === null) {
      delete live.record.paused;
      await this.ctx.store.updateExecution(id, { paused: null });
    }
    return this.ctx.getExecution(id);
  }

  async #unfinished(id: string): Promise<ExecutionRecord> {
    const record = await this.ctx.getExecution(id);
    if (FINAL_EXECUTION_STATUSES.includes(record.status)) throw alreadyOver(record);
    return record;
  }

  /** Writes the pause of a run no actor runs (yet). Idempotent: a pause already set is kept. */
  async #write(record: ExecutionRecord, request: PauseRequest): Promise<void> {
    if (request.pause) {
      if (record.paused !== undefined) return;
      const by = request.by ?? 'anonymous';
      record.paused = pauseInfo({ by, reason: 'request' }, this.ctx.clock.now());
      await this.ctx.store.updateExecution(record.id, { paused: record.paused });
    } else {
      delete record.paused;
      await this.ctx.store.updateExecution(record.id, { paused: null });
    }
  }

  #ask(id: string, request: PauseRequest) {
    return requestOwner<ExecutionRecord>(
      this.ctx.bus,
      this.ctx.bus.subjects.actorIn('execution', id),
      {
        type: request.pause ? 'pause' : 'resume',
        ...(request.by !== undefined && { by: request.by }),
      },
      this.ctx.ownerTimeoutMs,
    );
  }
}

/** The stored form of a machine's pause. */
function pauseInfo(p: { by: string; reason: PauseInfo['reason']; stepId?: string }, nowMs: number) {
  return {
    at: new Date(nowMs).toISOString(),
    by: p.by,
    reason: p.reason,
    ...(p.stepId !== undefined && { stepId: p.stepId }),
  } satisfies PauseInfo;
}

/** The refusal of a pause or resume of a finished run. */
function alreadyOver(record: ExecutionRecord): ConflictError {
  return new ConflictError(`execution '${record.id}' already ${record.status}`, {
    status: record.status,
  });
}

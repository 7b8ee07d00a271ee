/**
 * The overlap policy of one workflow: every fire of any of its triggers passes here, one at a
 * time (a per-workflow lock), so two fires can never both see "nothing running" and both start.
 * - `allow`: start, at once: no lock and no question about unfinished runs (in a cluster that is a
 *   store query per fire, which a burst of messages must not wait for).
 * - `skip`: start only when no run of the workflow is pending or running; else skipped.
 * - `queue`: as skip, but up to `maxQueued` fires wait (in memory, with their execution id
 *   reserved) and start one by one as runs end; past that, skipped.
 * - `cancel_previous`: cancel every unfinished run (waiting for each to end), then start.
 * Message-driven fires (webhooks, NATS) default to `allow` when the workflow sets no `overlap`:
 * each carries its own input and a sender waiting for an execution id.
 * A decision whose trigger gave up on it (its signal aborted: the fire timed out) releases the
 * lock at once, so one stuck store call cannot hold every later fire of the workflow.
 * @module
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock.ts';
import { ConflictError, toWire } from '../errors.ts';
import type { TriggerFireSource } from '../events.ts';
import {
  DEFAULT_MAX_QUEUED,
  DEFAULT_OVERLAP,
  type OverlapPolicy,
  type WorkflowDefinition,
} from '../workflow/index.ts';
import type { ActiveRuns } from './active-runs.ts';
import type { FireOutcome, FireRequest } from './types.ts';

/** The overlap settings a fire is decided with. */
export interface GatePolicy {
  overlap: OverlapPolicy;
  maxQueued: number;
}

/** A fire waiting in a `queue` gate. */
export interface WaitingFire {
  triggerId: string;
  fire: FireRequest;
  /** Reserved for the run it will start. */
  executionId: string;
}

/** Dependencies of a gate. */
export interface WorkflowGateDeps {
  runs: ActiveRuns;
  execute(
    workflowId: string,
    input: Record<string, unknown>,
    opts: { executionId: string; idempotencyKey?: string },
  ): Promise<{ executionId: string }>;
  cancel(executionId: string, reason: string): Promise<unknown>;
  newExecutionId(): string;
  /** A waiting fire started its run (or failed to). */
  onDequeued(waiting: WaitingFire, outcome: FireOutcome): void;
  clock: Clock;
  logger: Logger;
  /** Re-check waiting fires this often (cluster: runs may end on other processes). */
  pollMs?: number;
}

const MESSAGE_SOURCES: ReadonlySet<TriggerFireSource> = new Set(['webhook', 'nats']);

/** The policy a fire of `source` is decided with under `definition`. */
export function effectivePolicy(
  definition: Pick<WorkflowDefinition, 'overlap' | 'maxQueued'>,
  source: TriggerFireSource,
): GatePolicy {
  const fallback = MESSAGE_SOURCES.has(source) ? 'allow' : DEFAULT_OVERLAP;
  return {
    overlap: definition.overlap ?? fallback,
    maxQueued: definition.maxQueued ?? DEFAULT_MAX_QUEUED,
  };
}

/** Serialises and decides the fires of one workflow. */
export class WorkflowGate {
  #lock: Promise<unknown> = Promise.resolve();
  readonly #waiting: WaitingFire[] = [];
  #timer: TimerHandle | undefined;
  #closed = false;

  constructor(
    readonly workflowId: string,
    private readonly deps: WorkflowGateDeps,
  ) {}

  /** Fires waiting under `queue`. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Decides one fire under `policy`; never rejects (a failure is an outcome). When `signal`
   * aborts first, the fire is abandoned (`cancelled`) and the lock passes on.
   */
  start(
    triggerId: string,
    fire: FireRequest,
    policy: GatePolicy,
    signal?: AbortSignal,
  ): Promise<FireOutcome> {
    if (policy.overlap === 'allow') return this.#startNow(fire);
    return this.#locked(() => this.#decide(triggerId, fire, policy), signal);
  }

  /** Starts waiting fires while no run of the workflow is unfinished. */
  kick(): Promise<void> {
    if (this.#waiting.length === 0) return Promise.resolve();
    return this.#locked(() => this.#drain());
  }

  /** Stops polling and hands back the fires that still wait. */
  close(): WaitingFire[] {
    this.#closed = true;
    if (this.#timer !== undefined) this.deps.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#waiting.splice(0);
  }

  async #decide(triggerId: string, fire: FireRequest, policy: GatePolicy): Promise<FireOutcome> {
    try {
      // A repeated fire for a reserved id (a webhook retried with its Idempotency-Key).
      const position = this.#waiting.findIndex((w) => w.executionId === fire.executionId) + 1;
      if (position > 0) return { status: 'queued', executionId: fire.executionId!, position };
      const active = await this.deps.runs.of(this.workflowId);
      switch (policy.overlap) {
        case 'allow':
          return await this.#startNow(fire);
        case 'skip':
          if (active.length > 0) return this.#busy(active);
          return await this.#startNow(fire);
        case 'queue':
          if (active.length === 0 && this.#waiting.length === 0) {
            return await this.#startNow(fire);
          }
          return this.#enqueue(triggerId, fire, policy.maxQueued);
        case 'cancel_previous': {
          const cancelled = await this.#cancelAll(active, triggerId);
          const outcome = await this.#startNow(fire);
          return outcome.status === 'started' && cancelled.length > 0
            ? { ...outcome, cancelled }
            : outcome;
        }
      }
    } catch (err) {
      return { status: 'failed', error: toWire(err) };
    }
  }

  #busy(active: string[]): FireOutcome {
    const more = active.length > 1 ? ` (and ${active.length - 1} more)` : '';
    return {
      status: 'skipped',
      reason: 'overlap',
      message: `run '${active[0]}'${more} of workflow '${this.workflowId}' is still going`,
    };
  }

  #enqueue(triggerId: string, fire: FireRequest, maxQueued: number): FireOutcome {
    if (this.#waiting.length >= maxQueued) {
      return {
        status: 'skipped',
        reason: 'queue_full',
        message: `${this.#waiting.length} fire(s) already wait for workflow '${this.workflowId}' (maxQueued: ${maxQueued})`,
      };
    }
    const executionId = fire.executionId ?? this.deps.newExecutionId();
    this.#waiting.push({ triggerId, fire, executionId });
    this.#arm();
    return { status: 'queued', executionId, position: this.#waiting.length };
  }

  async #cancelAll(active: string[], triggerId: string): Promise<string[]> {
    const reason = `superseded by a fire of trigger '${triggerId}' (overlap: cancel_previous)`;
    const cancelled: string[] = [];
    for (const id of active) {
      try {
        await this.deps.cancel(id, reason);
        cancelled.push(id);
      } catch (err) {
        // Finished meanwhile: nothing to cancel.
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    return cancelled;
  }

  /** Starts the fire's run; with an idempotency key, the run that already holds it counts. */
  async #startNow(
    fire: Pick<FireRequest, 'input' | 'idempotencyKey' | 'executionId'>,
  ): Promise<FireOutcome> {
    let executionId = fire.executionId ?? this.deps.newExecutionId();
    try {
      const opts = {
        executionId,
        ...(fire.idempotencyKey !== undefined && { idempotencyKey: fire.idempotencyKey }),
      };
      ({ executionId } = await this.deps.execute(this.workflowId, fire.input ?? {}, opts));
    } catch (err) {
      return { status: 'failed', error: toWire(err) };
    }
    this.deps.runs.add(this.workflowId, executionId);
    return { status: 'started', executionId };
  }

  async #drain(): Promise<void> {
    while (this.#waiting.length > 0 && !this.#closed) {
      if ((await this.deps.runs.of(this.workflowId)).length > 0) break;
      const next = this.#waiting.shift()!;
      const outcome = await this.#startNow({ ...next.fire, executionId: next.executionId });
      this.deps.onDequeued(next, outcome);
      if (outcome.status === 'started') break;
    }
    this.#arm();
  }

  /** Cluster mode: polls while fires wait, since runs may end on another process. */
  #arm(): void {
    const { pollMs, clock } = this.deps;
    if (pollMs === undefined || this.#closed || this.#timer !== undefined) return;
    if (this.#waiting.length === 0) return;
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      void this.kick().catch((err: unknown) =>
        this.deps.logger.warn({ err, workflowId: this.workflowId }, 'overlap queue check failed'),
      );
    }, pollMs);
  }

  /** Runs `fn` after every earlier decision; an aborted `signal` gives up the turn (or waiting for it). */
  #locked(fn: () => Promise<FireOutcome>, signal?: AbortSignal): Promise<FireOutcome>;
  #locked(fn: () => Promise<void>): Promise<void>;
  #locked<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T | FireOutcome> {
    const turn = () => (signal?.aborted ? Promise.resolve(ABANDONED) : untilAborted(fn(), signal));
    const run = this.#lock.then(turn, turn);
    this.#lock = run.catch(() => undefined);
    return run;
  }
}

/** The outcome of a decision its trigger gave up on (nobody reads it but the log). */
const ABANDONED: FireOutcome = {
  status: 'failed',
  error: { code: 'cancelled', message: 'the trigger gave up on this fire', recoverable: true },
};

/** Settles with `work`, or with ABANDONED as soon as `signal` aborts. */
function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T | FireOutcome> {
  if (signal === undefined) return work;
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABANDONED);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The gates of every workflow, created on first use. */
export class WorkflowGates {
  readonly #gates = new Map<string, WorkflowGate>();

  constructor(private readonly deps: WorkflowGateDeps) {}

  get(workflowId: string): WorkflowGate {
    let gate = this.#gates.get(workflowId);
    if (!gate) this.#gates.set(workflowId, (gate = new WorkflowGate(workflowId, this.deps)));
    return gate;
  }

  /** Starts the workflow's waiting fires if no run is unfinished; undefined when none wait. */
  kick(workflowId: string): Promise<void> | undefined {
    const gate = this.#gates.get(workflowId);
    return gate && gate.waiting > 0 ? gate.kick() : undefined;
  }

  /** Closes and forgets a workflow's gate; returns the fires that still waited. */
  drop(workflowId: string): WaitingFire[] {
    const waiting = this.#gates.get(workflowId)?.close() ?? [];
    this.#gates.delete(workflowId);
    return waiting;
  }

  /** Closes every gate. */
  close(): void {
    for (const gate of this.#gates.values()) gate.close();
  }
}

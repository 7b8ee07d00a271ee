/**
 * The trigger registry: one trigger actor per trigger a workflow declares (cron, http, nats),
 * kept in step with registrations (`sync`, `remove`) and started for every stored workflow at
 * start, when cron triggers also catch up on ticks missed while no process ran them. Fires of
 * one workflow pass its WorkflowGate (overlap policy). An actor whose declaration did not
 * change survives a re-registration. In a cluster, ticks and inbound fires are claimed in the
 * store, and the workflow list is re-read periodically so registrations made on another
 * process arm here too. NATS messages (plain subjects and streams) come in through
 * `#handleMessage`: decoded and checked against the workflow's inputs (a refusal is counted and
 * announced as `trigger.rejected`), then fired like any other fire.
 * @module
 */
import type { AnyActorRef } from 'xstate';
import type { Logger } from 'pino';
import type { Bus } from '../bus/index.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import { NotFoundError, type WireError } from '../errors.ts';
import type { StampedEvent, TriggerEvent } from '../events.ts';
import { newId } from '../ids.ts';
import type { Store, TriggerState, WorkflowRecord } from '../store/index.ts';
import { DEFAULT_CATCH_UP } from '../workflow/index.ts';
import { ActiveRuns } from './active-runs.ts';
import { replayMissed } from './catch-up.ts';
import { claim, createTickClaim } from './cluster-claims.ts';
import { toFireResult, toStartedRun } from './fire-result.ts';
import { hookSecretProblem } from './hook-secret.ts';
import type { StreamTriggerSource } from './nats-stream-consumer.ts';
import { NatsStreamTriggers } from './nats-stream-triggers.ts';
import { NatsTriggers } from './nats-triggers.ts';
import type { Scheduler } from './scheduler.ts';
import { TriggerActor } from './trigger-actor.ts';
import { declaredTriggers } from './trigger-ids.ts';
import {
  decodeTriggerMessage,
  type MessageResult,
  type TriggerMessage,
} from './trigger-message.ts';
import type { FireCall, FireOptions, FireResult, TriggerQuery, TriggerView } from './types.ts';
import { WorkflowGates, effectivePolicy } from './workflow-gate.ts';

/** Default of `TriggerRegistryDeps.resyncMs`. */
export const DEFAULT_RESYNC_MS = 30_000;
/** Default of `TriggerRegistryDeps.queuePollMs`. */
export const DEFAULT_QUEUE_POLL_MS = 1000;
/**
 * Fires that may wait per NATS trigger (a cron or webhook trigger keeps the machine's 256): a
 * plain subject cannot hold a burst back, so the trigger holds it (a stream trigger is bounded
 * by its consumer's `maxAckPending` long before this).
 */
export const DEFAULT_MAX_PENDING_MESSAGES = 10_000;

/** Counters the registry moves (the metrics module's). */
export interface TriggerMetrics {
  triggerFired(workflowId: string, kind: string): void;
  triggerSkipped(workflowId: string, reason: string): void;
  /** A message refused before it could fire (`malformed_json`, `not_an_object`, `invalid_input`). */
  triggerRejected?(workflowId: string, reason: string): void;
}

/** Dependencies of the registry. */
export interface TriggerRegistryDeps {
  store: Store;
  bus: Bus;
  clock: Clock;
  logger: Logger;
  scheduler: Scheduler;
  /** Publishes a trigger's outbound event (the event pipeline's `emit('trigger', id, e)`). */
  emit(triggerId: string, event: TriggerEvent): void;
  execute(
    workflowId: string,
    input: Record<string, unknown>,
    opts: { executionId: string; idempotencyKey?: string },
  ): Promise<{ executionId: string }>;
  cancel(executionId: string, reason: string): Promise<unknown>;
  /** Several processes share the store and the work (cluster mode). */
  cluster: boolean;
  /** JetStream, for `nats: {subject, stream}` triggers (cluster mode); absent, they show `error`. */
  streams?: StreamTriggerSource;
  /** Fires waiting per NATS trigger. @default 10000 */
  maxPendingMessages?: number;
  /** A fire still undecided after this long fails with `timeout`. @default 30000 (the machine's) */
  fireTimeoutMs?: number;
  metrics?: TriggerMetrics;
  /**
   * The inbound subjects (`stator.trigger.<id>.in`) of the triggers held here: subscribed while a
   * trigger's actor lives here (actor-router.ts; every process's replica joins one queue group).
   */
  inbox?: { own(id: string): void; release(id: string): void };
  /** Cluster: re-read the workflow list this often. @default 30000 */
  resyncMs?: number;
  /** Cluster: re-check overlap queues this often. @default 1000 */
  queuePollMs?: number;
  /** Tells the live actor directory about the actor (GET /api/actors). */
  track?: (kind: string, id: string, actor: AnyActorRef) => void;
}

/** One actor per declared trigger. */
export class TriggerRegistry {
  readonly #triggers = new Map<string, TriggerActor>();
  readonly #workflows = new Map<string, WorkflowRecord>();
  readonly #gates: WorkflowGates;
  readonly #runs: ActiveRuns;
  readonly #nats: NatsTriggers;
  readonly #streams: NatsStreamTriggers;
  readonly #background = new Set<Promise<unknown>>();
  #resync: TimerHandle | undefined;
  #closed = false;
  /** Registrations change the actor set one at a time. */
  #lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: TriggerRegistryDeps) {
    const { store, logger, cluster } = deps;
    this.#runs = new ActiveRuns({ store, logger, mode: cluster ? 'store' : 'index' });
    this.#gates = new WorkflowGates({
      runs: this.#runs,
      execute: deps.execute,
      cancel: deps.cancel,
      clock: deps.clock,
      logger,
      newExecutionId: () => newId('ex'),
      onDequeued: (waiting, outcome) =>
        this.#triggers.get(waiting.triggerId)?.dequeued(waiting.fire, outcome),
      ...(cluster && { pollMs: deps.queuePollMs ?? DEFAULT_QUEUE_POLL_MS }),
    });
    this.#runs.onEnded((workflowId) => {
      const kicked = this.#gates.kick(workflowId);
      if (kicked) this.#track(kicked);
    });
    this.#nats = new NatsTriggers(
      deps.bus,
      (workflowId, index, msg) => this.#handleMessage(workflowId, index, msg, false),
      logger,
    );
    this.#streams = new NatsStreamTriggers({
      source: deps.streams,
      handle: async (workflowId, index, msg) =>
        (await this.#handleMessage(workflowId, index, msg, true)).result,
      fault: (id, problem) => this.reportFault(id, problem),
      clock: deps.clock,
      logger,
    });
  }

  /** Takes every outbound event (tap of the event pipeline; must stay cheap). */
  observe(event: StampedEvent): void {
    this.#runs.observe(event);
  }

  /** Starts the triggers of every stored workflow, catching up missed cron ticks. */
  async start(): Promise<void> {
    await this.#runs.start();
    await this.#locked(() => this.#syncAll(true));
    this.#armResync();
  }

  /** (Re)creates the triggers of a registered workflow; unchanged ones keep running. */
  sync(record: WorkflowRecord): Promise<void> {
    return this.#locked(() => this.#sync(record, false));
  }

  /** Stops and forgets a deleted workflow's triggers (their stored state included). */
  remove(workflowId: string): Promise<void> {
    return this.#locked(() => this.#remove(workflowId));
  }

  async #sync(record: WorkflowRecord, catchUp: boolean): Promise<void> {
    if (this.#closed) return;
    const declared = declaredTriggers(record.definition);
    const ids = new Set(declared.map((d) => d.id));
    const previous = this.#workflows.get(record.id);
    this.#workflows.set(record.id, record);
    for (const old of previous ? declaredTriggers(previous.definition) : []) {
      if (!ids.has(old.id)) await this.#drop(old.id, true);
    }
    for (const d of declared) {
      const live = this.#triggers.get(d.id);
      if (live && JSON.stringify(live.declared.definition) === JSON.stringify(d.definition)) {
        continue;
      }
      if (live) await this.#drop(d.id, false);
      let state = await this.deps.store.getTriggerState(d.id);
      const trigger = this.#create(d, state);
      if (!state) {
        state = trigger.state();
        await this.deps.store.putTriggerState(state);
      } else if (catchUp) {
        const { scheduler, clock, cluster } = this.deps;
        const work = replayMissed(trigger, {
          state,
          policy: record.definition.catchUp ?? DEFAULT_CATCH_UP,
          scheduler,
          clock,
          closed: () => this.#closed,
          ...(cluster && { claimTick: createTickClaim(this.#claimDeps()) }),
        });
        this.#track(work);
      }
      this.#checkSecret(trigger);
    }
    this.#nats.sync(record);
    await this.#streams.sync(record);
  }

  async #remove(workflowId: string): Promise<void> {
    const record = this.#workflows.get(workflowId);
    this.#workflows.delete(workflowId);
    this.#nats.remove(workflowId);
    await this.#streams.remove(workflowId, true);
    for (const d of record ? declaredTriggers(record.definition) : []) await this.#drop(d.id, true);
    for (const { triggerId, executionId } of this.#gates.drop(workflowId)) {
      const fields = { workflowId, triggerId, executionId };
      this.deps.logger.info(fields, 'queued fire dropped: workflow deleted');
    }
  }

  /** Every trigger, ordered by id. */
  list(query: TriggerQuery = {}): TriggerView[] {
    return [...this.#triggers.values()]
      .filter((t) => query.workflowId === undefined || t.declared.workflowId === query.workflowId)
      .map((t) => t.view())
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** One trigger; NotFoundError when no workflow declares it. */
  get(id: string): TriggerActor {
    const trigger = this.#triggers.get(id);
    if (!trigger) throw new NotFoundError('trigger', id);
    return trigger;
  }

  /** Pauses a trigger (stored: it stays paused across restarts). */
  async pause(id: string): Promise<TriggerView> {
    const trigger = this.get(id);
    await trigger.pause();
    return trigger.view();
  }

  /** Resumes a trigger (also clears an error; an unavailable hook secret sets it again). */
  async resume(id: string): Promise<TriggerView> {
    const trigger = this.get(id);
    await trigger.resume();
    this.#checkSecret(trigger);
    return trigger.view();
  }

  /**
   * A webhook's report on its trigger's declaration: a problem (`secret_unavailable`) puts the
   * trigger in `error`, null clears that error. Unknown ids are ignored.
   */
  reportFault(id: string, problem: WireError | null): void {
    this.#triggers.get(id)?.fault(problem);
  }

  /** A manual fire: the outcome, or the failure thrown. */
  async fire(id: string, opts: FireOptions = {}, executionId?: string): Promise<FireResult> {
    const trigger = this.get(id);
    const outcome = await trigger.fire({
      source: 'manual',
      ...(opts.input !== undefined && { input: opts.input }),
      ...(executionId !== undefined && { executionId }),
    });
    // A fire leaves `error`: a hook whose secret is still unavailable goes back to it.
    this.#checkSecret(trigger);
    return toFireResult(id, outcome);
  }

  /**
   * Decides which process answers a `fire` sent to `stator.trigger.<id>.in`, which reaches
   * every process: embedded, this one; in a cluster, the one that claims the request's reply
   * subject (false elsewhere). Without a reply subject, every process fires.
   */
  async claimInbound(
    id: string,
    replyTo: string | undefined,
  ): Promise<{ executionId?: string } | false> {
    this.get(id);
    if (!this.deps.cluster || replyTo === undefined) return {};
    return claim(this.#claimDeps(), `trigger-in:${id}`, replyTo);
  }

  /** Fires the trigger at `index` of a workflow's list for a message (NATS, webhook). */
  async fireDeclared(
    workflowId: string,
    index: number,
    source: 'nats' | 'webhook',
    call: Omit<FireCall, 'source'>,
  ): Promise<{ executionId: string; queued?: true }> {
    const d = await this.#declared(workflowId, index, source === 'nats' ? 'nats' : 'http');
    return toStartedRun(d.id, await this.get(d.id).fire({ ...call, source }));
  }

  /**
   * A message on a NATS trigger's subject or stream: refused with its reason when it is not a
   * JSON object the workflow's inputs accept, held while the trigger is paused when it can wait
   * (`hold`: stream messages stay in the stream), else fired.
   */
  async #handleMessage(
    workflowId: string,
    index: number,
    msg: TriggerMessage,
    hold: boolean,
  ): Promise<{ triggerId: string; result: MessageResult }> {
    const d = await this.#declared(workflowId, index, 'nats');
    const trigger = this.get(d.id);
    const record = this.#workflows.get(workflowId)!;
    const decoded = decodeTriggerMessage(msg.data, record.definition);
    if (!decoded.ok) {
      const { reason, error } = decoded;
      trigger.reject({ source: 'nats', subject: msg.subject, reason, error });
      return { triggerId: d.id, result: { status: 'rejected', reason, error } };
    }
    if (hold && trigger.paused) return { triggerId: d.id, result: { status: 'held' } };
    const result = await trigger.fire({
      source: 'nats',
      input: decoded.input,
      ...(msg.idempotencyKey !== undefined && { idempotencyKey: msg.idempotencyKey }),
    });
    return { triggerId: d.id, result };
  }

  /** The declared trigger at `index`, re-reading the workflow once when it is not known here. */
  async #declared(workflowId: string, index: number, kind: 'nats' | 'http') {
    const find = () => {
      const record = this.#workflows.get(workflowId);
      const d = record && declaredTriggers(record.definition)[index];
      return d?.definition.kind === kind ? d : undefined;
    };
    let d = find();
    if (!d) {
      // Registered or changed by another process of the cluster since the last resync.
      const stored = await this.deps.store.getWorkflow(workflowId);
      if (stored) await this.sync(stored);
      d = find();
    }
    if (!d) throw new NotFoundError('trigger', `${workflowId}[${index}]`);
    return d;
  }

  /** Stops every trigger and timer (stored state stays). */
  close(): void {
    this.#closed = true;
    if (this.#resync !== undefined) this.deps.clock.clearTimeout(this.#resync);
    this.#nats.close();
    this.#track(this.#streams.close());
    for (const t of this.#triggers.values()) {
      this.deps.inbox?.release(t.id);
      t.stop();
    }
    this.#gates.close();
  }

  /** Resolves when background work (catch-up, state writes) started so far is done. */
  async settled(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
    await Promise.all([...this.#triggers.values()].map((t) => t.flushed()));
  }

  #create(d: TriggerActor['declared'], state: TriggerState | undefined): TriggerActor {
    const { store, clock, logger, scheduler, cluster } = this.deps;
    const trigger = new TriggerActor(d, state, {
      scheduler,
      clock,
      logger: logger.child({ triggerId: d.id }),
      newFireId: () => newId('fire'),
      ...(this.deps.track && { track: this.deps.track }),
      ...(d.definition.kind === 'nats' && {
        maxPendingFires: this.deps.maxPendingMessages ?? DEFAULT_MAX_PENDING_MESSAGES,
      }),
      ...(this.deps.fireTimeoutMs !== undefined && { fireTimeoutMs: this.deps.fireTimeoutMs }),
      maxPendingFires: 5000,
      persist: (s) => store.putTriggerState(s),
      emit: (id, event) => this.#emit(id, event),
      startRun: async (input, signal) => {
        const record = this.#workflows.get(input.workflowId);
        if (!record) throw new NotFoundError('workflow', input.workflowId);
        const gate = this.#gates.get(input.workflowId);
        // In order: decisions under a policy queue on the gate's lock; `allow` ones run together.
        return Promise.all(
          input.fires.map((fire) =>
            gate.start(
              input.triggerId,
              fire,
              effectivePolicy(record.definition, fire.source),
              signal,
            ),
          ),
        );
      },
      ...(cluster && { claimTick: createTickClaim(this.#claimDeps()) }),
    });
    this.#triggers.set(d.id, trigger);
    this.deps.inbox?.own(d.id);
    trigger.start();
    return trigger;
  }

  async #drop(id: string, forget: boolean): Promise<void> {
    const trigger = this.#triggers.get(id);
    this.#triggers.delete(id);
    this.deps.inbox?.release(id);
    trigger?.stop();
    await trigger?.flushed();
    if (forget) await this.deps.store.deleteTriggerState(id);
  }

  /** An http trigger whose secret variable is unset reports state `error` (hook-secret.ts). */
  #checkSecret(trigger: TriggerActor): void {
    const def = trigger.declared.definition;
    if (def.kind !== 'http' || def.secret === undefined) return;
    trigger.fault(hookSecretProblem(def.secret, process.env));
  }

  #emit(triggerId: string, event: TriggerEvent): void {
    this.deps.emit(triggerId, event);
    const { metrics } = this.deps;
    if (event.type === 'trigger.fired') metrics?.triggerFired(event.workflowId, event.kind);
    if (event.type === 'trigger.skipped') metrics?.triggerSkipped(event.workflowId, event.reason);
    if (event.type === 'trigger.rejected')
      metrics?.triggerRejected?.(event.workflowId, event.reason);
  }

  async #syncAll(catchUp: boolean): Promise<void> {
    const seen = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.deps.store.listWorkflows({ limit: 500, cursor });
      for (const wf of page.items) {
        seen.add(wf.id);
        const known = this.#workflows.get(wf.id);
        if (!known || known.version !== wf.version) await this.#sync(wf, catchUp);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    for (const id of [...this.#workflows.keys()]) if (!seen.has(id)) await this.#remove(id);
  }

  #armResync(): void {
    if (!this.deps.cluster || this.#closed) return;
    this.#resync = this.deps.clock.setTimeout(() => {
      this.#resync = undefined;
      this.#track(
        this.#locked(() => this.#syncAll(false))
          .catch((err: unknown) => this.deps.logger.warn({ err }, 'trigger resync failed'))
          .finally(() => this.#armResync()),
      );
    }, this.deps.resyncMs ?? DEFAULT_RESYNC_MS);
  }

  #claimDeps() {
    return { store: this.deps.store, clock: this.deps.clock, newExecutionId: () => newId('ex') };
  }

  #locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  #track(work: Promise<unknown>): void {
    const tracked = work.catch((err: unknown) =>
      this.deps.logger.error({ err }, 'trigger background work failed'),
    );
    this.#background.add(tracked);
    void tracked.finally(() => this.#background.delete(tracked));
  }
}

/**
 * One live trigger: the trigger machine with its implementations supplied (`startRun` decides
 * through the workflow's gate, `respond` settles whoever waits for a fire), a cron schedule for
 * cron triggers, outbound events handed to the event pipeline, and its state (pause, last fire,
 * last result) written to the store after every change, one write at a time.
 * @module
 */
import { createActor, fromPromise, type Actor, type AnyActorRef } from 'xstate';
import type { Logger } from 'pino';
import {
  triggerMachine,
  type FireOutcome,
  type FireRequest,
  type RejectedMessage,
  type StartRunInput,
  type TriggerStatus,
} from '../../machines/trigger.machine.ts';
import type { Clock } from '../clock.ts';
import type { WireError } from '../errors.ts';
import type { TriggerEvent } from '../events.ts';
import type { TriggerState } from '../store/index.ts';
import type { ScheduleHandle, Scheduler } from './scheduler.ts';
import type { DeclaredTrigger, FireCall, TriggerView } from './types.ts';

/** What a trigger actor needs from the registry. */
export interface TriggerActorDeps {
  /** Decides the fires of one batch; one outcome per fire, in order. */
  startRun(input: StartRunInput, signal: AbortSignal): Promise<FireOutcome[]>;
  emit(triggerId: string, event: TriggerEvent): void;
  persist(state: TriggerState): Promise<void>;
  /** Decides whether this process fires a cron tick (a cluster claim); absent means yes. */
  claimTick?(trigger: TriggerActor, at: number): Promise<{ executionId?: string } | false>;
  scheduler: Scheduler;
  clock: Clock;
  logger: Logger;
  newFireId(): string;
  /** Fires that may wait while one is in progress. */
  maxPendingFires?: number;
  /** A fire still undecided after this long fails with `timeout` (the machine's default if unset). */
  fireTimeoutMs?: number;
  /** Tells the live actor directory about the actor (GET /api/actors). */
  track?: (kind: string, id: string, actor: AnyActorRef) => void;
}

const STOPPED: FireOutcome = {
  status: 'failed',
  error: { code: 'unavailable', message: 'the trigger was stopped or replaced', recoverable: true },
};

/** A trigger actor and its schedule. */
export class TriggerActor {
  readonly #actor: Actor<typeof triggerMachine>;
  readonly #waiters = new Map<string, (outcome: FireOutcome) => void>();
  #schedule: ScheduleHandle | undefined;
  #writes: Promise<void> = Promise.resolve();
  #dirty = false;
  #stopped = false;
  /** The problem of the declaration last reported by fault(). */
  #fault: WireError | null = null;

  constructor(
    readonly declared: DeclaredTrigger,
    state: TriggerState | undefined,
    private readonly deps: TriggerActorDeps,
  ) {
    const machine = triggerMachine.provide({
      actors: {
        startRun: fromPromise<FireOutcome[], StartRunInput>(({ input, signal }) =>
          deps.startRun(input, signal),
        ),
      },
      actions: {
        respond: (_, { fireId, outcome }) => {
          const waiter = this.#waiters.get(fireId);
          this.#waiters.delete(fireId);
          waiter?.(outcome);
        },
      },
    });
    this.#actor = createActor(machine, {
      input: {
        triggerId: declared.id,
        workflowId: declared.workflowId,
        kind: declared.definition.kind,
        paused: state?.paused ?? false,
        lastFireAt: state?.lastFireAt ? Date.parse(state.lastFireAt) : null,
        lastResult: state?.lastResult ?? null,
        ...(deps.maxPendingFires !== undefined && { maxPending: deps.maxPendingFires }),
        ...(deps.fireTimeoutMs !== undefined && { fireTimeoutMs: deps.fireTimeoutMs }),
      },
      clock: deps.clock,
    });
    deps.track?.('trigger', declared.id, this.#actor);
    this.#actor.on('*', (event) => {
      deps.emit(this.id, event);
      void this.#persist();
    });
  }

  get id(): string {
    return this.declared.id;
  }

  /** The machine's state. */
  get status(): TriggerStatus {
    return this.#actor.getSnapshot().value as TriggerStatus;
  }

  /** Paused, or firing and going back to paused. */
  get paused(): boolean {
    const snap = this.#actor.getSnapshot();
    return (
      snap.value === 'paused' || (snap.value === 'firing' && snap.context.returnTo === 'paused')
    );
  }

  /** True once stopped (removed, replaced or shut down). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** The actor, for inspection. */
  get actor(): Actor<typeof triggerMachine> {
    return this.#actor;
  }

  /** Starts the actor and, for a cron trigger, its schedule. */
  start(): void {
    this.#actor.start();
    const def = this.declared.definition;
    if (def.kind !== 'cron') return;
    this.#schedule = this.deps.scheduler.schedule(
      def.schedule,
      def.timezone === undefined ? {} : { timezone: def.timezone },
      (at) => void this.#tick(at),
    );
  }

  /** Fires once; resolves with the outcome once the state it changed is stored. */
  async fire(call: FireCall): Promise<FireOutcome> {
    if (this.#stopped) return STOPPED;
    const fireId = this.deps.newFireId();
    const outcome = new Promise<FireOutcome>((resolve) => this.#waiters.set(fireId, resolve));
    this.#actor.send({
      type: 'fire',
      fire: {
        fireId,
        source: call.source,
        at: call.at ?? this.deps.clock.now(),
        ...(call.input !== undefined && { input: call.input }),
        ...(call.executionId !== undefined && { executionId: call.executionId }),
        ...(call.idempotencyKey !== undefined && { idempotencyKey: call.idempotencyKey }),
        ...((call.source === 'schedule' || call.source === 'catch_up') && { attempt: 1 }),
      },
    });
    const result = await outcome;
    await this.#writes;
    return result;
  }

  /** A message refused before it could fire: counted and announced (`trigger.rejected`). */
  reject(rejected: Omit<RejectedMessage, 'at'> & { at?: number }): void {
    if (this.#stopped) return;
    this.#actor.send({
      type: 'reject',
      rejected: { ...rejected, at: rejected.at ?? this.deps.clock.now() },
    });
  }

  /** Pauses (persisted); resolves once stored. */
  async pause(): Promise<void> {
    this.#actor.send({ type: 'pause' });
    await this.#persist();
  }

  /** Resumes (persisted); from `error`, gives up the pending retry. */
  async resume(): Promise<void> {
    this.#actor.send({ type: 'resume' });
    await this.#persist();
  }

  /** A fire that waited in the overlap queue got its outcome. */
  dequeued(fire: FireRequest, outcome: FireOutcome): void {
    if (!this.#stopped) this.#actor.send({ type: 'dequeued', fire, outcome });
  }

  /**
   * Reports a problem of the declaration (e.g. an unset secret variable): an active trigger goes
   * to `error` with it; null, or a new problem, replaces the last one reported, and a trigger in
   * `error` because of it returns to `active`. A paused or firing trigger is left as it is (the
   * next check, on resume or the next call, reports again).
   */
  fault(error: WireError | null): void {
    if (this.#stopped) return;
    const previous = this.#fault;
    this.#fault = error;
    const { value, context } = this.#actor.getSnapshot();
    if (error !== null) {
      const same = JSON.stringify(context.lastError) === JSON.stringify(error);
      if (value === 'active' || (value === 'error' && !same)) {
        this.deps.logger.warn({ triggerId: this.id, error }, 'trigger cannot serve');
        this.#actor.send({ type: 'fault', error });
      }
    } else if (previous !== null && value === 'error') {
      this.#actor.send({ type: 'resume' });
    }
  }

  /** Ticks missed while the service was down and not replayed. */
  missed(at: number, count: number, message: string): void {
    if (!this.#stopped) this.#actor.send({ type: 'missed', at, count, message });
  }

  /** What is stored for this trigger. */
  state(): TriggerState {
    const { context } = this.#actor.getSnapshot();
    return {
      id: this.id,
      workflowId: this.declared.workflowId,
      paused: this.paused,
      lastFireAt: context.lastFireAt === null ? null : new Date(context.lastFireAt).toISOString(),
      lastResult: context.lastResult,
      updatedAt: new Date(this.deps.clock.now()).toISOString(),
    };
  }

  /** The trigger as `trigger.list` shows it. */
  view(): TriggerView {
    const { context } = this.#actor.getSnapshot();
    const def = this.declared.definition;
    const next = this.paused ? null : (this.#schedule?.nextRun() ?? null);
    const view: TriggerView = {
      id: this.id,
      workflowId: this.declared.workflowId,
      kind: def.kind,
      state: this.status,
      nextFireAt: next === null ? null : new Date(next).toISOString(),
      lastFireAt: context.lastFireAt === null ? null : new Date(context.lastFireAt).toISOString(),
      lastResult: context.lastResult,
      lastError: context.lastError,
      counts: {
        fired: context.fired,
        skipped: context.skipped,
        failed: context.failed,
        rejected: context.rejected,
      },
    };
    if (def.kind === 'cron') {
      view.schedule = def.schedule;
      if (def.timezone !== undefined) view.timezone = def.timezone;
    } else if (def.kind === 'http') {
      view.path = def.path;
      view.signed = def.secret !== undefined;
    } else {
      view.subject = def.subject;
      if (def.stream !== undefined) view.stream = def.stream;
      else if (def.queue !== undefined) view.queue = def.queue;
    }
    return view;
  }

  /** Stops the schedule and the actor (a fire in progress is aborted); waiters get `unavailable`. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#schedule?.stop();
    this.#actor.stop();
    for (const waiter of this.#waiters.values()) waiter(STOPPED);
    this.#waiters.clear();
  }

  /** Resolves when every state write queued so far is done. */
  flushed(): Promise<void> {
    return this.#writes;
  }

  async #tick(at: number): Promise<void> {
    try {
      const claim = this.deps.claimTick ? await this.deps.claimTick(this, at) : {};
      if (claim === false || this.#stopped) return;
      await this.fire({ source: 'schedule', at, ...claim });
    } catch (err) {
      this.deps.logger.error({ err, triggerId: this.id }, 'cron tick failed');
    }
  }

  /** Queues one write of the latest state; writes never overlap and coalesce while queued. */
  #persist(): Promise<void> {
    if (this.#dirty || this.#stopped) return this.#writes;
    this.#dirty = true;
    this.#writes = this.#writes.then(async () => {
      this.#dirty = false;
      try {
        await this.deps.persist(this.state());
      } catch (err) {
        this.deps.logger.error({ err, triggerId: this.id }, 'storing trigger state failed');
      }
    });
    return this.#writes;
  }
}

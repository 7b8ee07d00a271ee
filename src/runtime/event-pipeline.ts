/**
 * The outbound path of every actor event: stamp (time, per-process sequence, severity,
 * source), persist what it changes, then publish it on the actor's `.out` subject and hand it
 * to the monitor. A run's events go through one promise chain per run, so they are persisted
 * and published in the order the run emitted them, each only after the store has it.
 *
 * `freeze()` (service shutdown) shuts the path: what was emitted before goes on to the store and
 * out, what is emitted after is dropped. Actors that die with the service report outcomes (a
 * cancelled attempt, a lost host connection) that are not what happened to the run; frozen,
 * none of them reaches the store or any observer, and the run stays as stored.
 * @module
 */
import type { Logger } from 'pino';
import type { ActorEvent, ExecutionEvent, StampedEvent } from '../events.ts';
import { severityOf } from '../events.ts';
import { actorAddress, type ActorKind } from '../bus/subjects.ts';
import type { Bus } from '../bus/types.ts';
import type { LogLine, Store } from '../store/index.ts';
import type { Clock } from '../clock.ts';
import type { ExecutionRecorder } from './execution-recorder.ts';

/** Where stamped events go after persistence (the monitor hub). */
export interface EventSink {
  publish(event: StampedEvent): void;
}

/** Called once a run's final event is persisted and published. */
export type FinalListener = (
  event: Extract<ExecutionEvent, { durationMs?: number; status: unknown }>,
) => void;

/** Dependencies of the pipeline. */
export interface EventPipelineDeps {
  bus: Bus;
  store: Store;
  recorder: ExecutionRecorder;
  sink: EventSink;
  clock: Clock;
  logger: Logger;
  onFinal: FinalListener;
}

const LOG_BATCH = 256;
const LOG_FLUSH_MS = 50;

/** Stamps, persists and publishes actor events. */
export class EventPipeline {
  #seq = 0;
  readonly #chains = new Map<string, Promise<void>>();
  readonly #logs = new Map<string, LogLine[]>();
  #logTimer: unknown = undefined;
  // Events come in bursts within one millisecond: format each millisecond's ISO time once.
  #isoMs = Number.NaN;
  #iso = '';
  #frozen = false;

  constructor(private readonly deps: EventPipelineDeps) {}

  /** The last sequence number handed out. */
  get seq(): number {
    return this.#seq;
  }

  /** Stamps an event of the actor `<kind>.<id>`; `seq` is given when it is published. */
  stamp(
    kind: ActorKind,
    id: string,
    event: ActorEvent,
    atMs = this.deps.clock.now(),
  ): StampedEvent {
    return {
      ...event,
      ts: this.#isoAt(atMs),
      seq: 0,
      source: actorAddress(kind, id),
      severity: severityOf(event.type),
    } as StampedEvent;
  }

  /** True once `freeze()` was called: events are dropped. */
  get frozen(): boolean {
    return this.#frozen;
  }

  /**
   * Drops every event emitted from now on (neither persisted nor published), for good. Events
   * emitted before still reach the store and are published in order; `drain()` waits for them.
   */
  freeze(): void {
    this.#frozen = true;
  }

  /** An event of a run: persisted in order, then published. Dropped once frozen. */
  emitExecution(event: ExecutionEvent): void {
    if (this.#frozen) return;
    const id = event.executionId;
    const atMs = this.deps.clock.now();
    const stamped = this.stamp('execution', id, event, atMs) as StampedEvent & ExecutionEvent;
    if (stamped.type === 'step.stdout' || stamped.type === 'step.stderr') {
      this.#bufferLog(id, {
        stepId: stamped.stepId,
        stream: stamped.type === 'step.stdout' ? 'stdout' : 'stderr',
        line: stamped.line,
        ts: stamped.ts,
        attempt: stamped.attempt,
      });
    }
    // Writes are issued now, in emission order (the store applies them in order, batched);
    // the chain only orders publication: each event goes out after its own write and after
    // the run's previous event. Chaining the writes themselves would allow one write per
    // run per turn of the event loop and defeat the store's group commit.
    const persisted = this.#persist(stamped, atMs);
    persisted.catch(() => {}); // handled below, once the chain reaches it
    const prev = this.#chains.get(id) ?? Promise.resolve();
    const next = prev
      .then(() => persisted)
      .then(
        () => this.#publish('execution', id, stamped),
        (err: unknown) => {
          // A store failure must not silence the run: publish anyway and say so loudly.
          this.deps.logger.error(
            { err, executionId: id, type: stamped.type },
            'persisting event failed',
          );
          this.#publish('execution', id, stamped);
        },
      );
    this.#chains.set(id, next);
    if (isFinal(stamped)) {
      void next.then(() => {
        if (this.#chains.get(id) === next) this.#chains.delete(id);
        this.deps.onFinal(stamped as never);
      });
    }
  }

  /** An event of any other actor: published at once (nothing to persist). Dropped once frozen. */
  emit(kind: ActorKind, id: string, event: ActorEvent): void {
    if (this.#frozen) return;
    this.#publish(kind, id, this.stamp(kind, id, event));
  }

  /**
   * Resolves once every event of the run emitted so far is stored and published (failed writes
   * included): a cluster node starts a step's process only after its `step.started` is stored,
   * so an attempt that a dead node may have started is never started again under its number.
   */
  settled(executionId: string): Promise<void> {
    const chain = this.#chains.get(executionId);
    return chain ? chain.then(noop, noop) : Promise.resolve();
  }

  /** Waits until every run's chain and the log buffers are flushed. */
  async drain(): Promise<void> {
    await Promise.all([...this.#chains.values()]);
    await this.#flushAllLogs();
  }

  #isoAt(ms: number): string {
    if (ms !== this.#isoMs) {
      this.#isoMs = ms;
      this.#iso = new Date(ms).toISOString();
    }
    return this.#iso;
  }

  #persist(event: StampedEvent & ExecutionEvent, atMs: number): Promise<void> {
    if (event.type === 'step.stdout' || event.type === 'step.stderr') return Promise.resolve();
    // A step's or run's end is published only once its output is stored too.
    const logs =
      event.type !== 'step.started' && event.type !== 'execution.started'
        ? this.#flushLogs(event.executionId)
        : undefined;
    const record = this.deps.recorder.apply(event, atMs);
    return logs ? Promise.all([logs, record]).then(() => undefined) : record;
  }

  #publish(kind: ActorKind, id: string, event: StampedEvent): void {
    // Numbered in publication order, so a gap always means a lost event.
    event.seq = ++this.#seq;
    const { bus } = this.deps;
    const subject = bus.subjects.actorOut(kind, id);
    if (!bus.hasInterest || bus.hasInterest(subject)) bus.publish(subject, event);
    this.deps.sink.publish(event);
  }

  #bufferLog(executionId: string, line: LogLine): void {
    let buf = this.#logs.get(executionId);
    if (!buf) this.#logs.set(executionId, (buf = []));
    buf.push(line);
    if (buf.length >= LOG_BATCH) void this.#flushLogs(executionId);
    else if (this.#logTimer === undefined) {
      this.#logTimer = this.deps.clock.setTimeout(() => {
        this.#logTimer = undefined;
        void this.#flushAllLogs();
      }, LOG_FLUSH_MS);
    }
  }

  async #flushLogs(executionId: string): Promise<void> {
    const buf = this.#logs.get(executionId);
    if (!buf || buf.length === 0) return;
    this.#logs.delete(executionId);
    try {
      await this.deps.store.appendLogs(executionId, buf);
    } catch (err) {
      this.deps.logger.error({ err, executionId }, 'storing step output failed');
    }
  }

  async #flushAllLogs(): Promise<void> {
    await Promise.all([...this.#logs.keys()].map((id) => this.#flushLogs(id)));
  }

  /** Cancels the pending flush timer (service shutdown). */
  stopTimers(): void {
    if (this.#logTimer !== undefined) this.deps.clock.clearTimeout(this.#logTimer);
    this.#logTimer = undefined;
  }
}

function isFinal(event: StampedEvent): boolean {
  return (
    event.type === 'execution.completed' ||
    event.type === 'execution.failed' ||
    event.type === 'execution.cancelled' ||
    event.type === 'execution.timed_out' ||
    event.type === 'execution.blocked'
  );
}

function noop(): void {}

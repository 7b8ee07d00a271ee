/**
 * The runtime side of the monitor actor. Every event is kept in a ring of recent events (for
 * resumes) and, when someone listens, sent to the monitor machine, which decides per subscriber
 * to deliver or to drop (buffer full, counted). Each subscriber's buffer is a SubscriberSink
 * drained on its own turn of the event loop, so a slow listener never runs inside an actor's
 * transition nor delays another subscriber.
 *
 * Where the events come from: in embedded mode, this process's event pipeline (`publish`), in
 * the order and with the numbers it gives them. In cluster mode (a `stream`, once `start()`ed),
 * the cluster's event stream: every node's events, numbered by the stream; what this process
 * publishes only tells the waiters which final events to wait for (final-echoes.ts).
 * @module
 */
import { createActor, type ActorRefFrom } from 'xstate';
import type { Logger } from 'pino';
import { monitorMachine } from '../../machines/monitor.machine.ts';
import type { StampedEvent } from '../events.ts';
import type {
  EventFilter,
  EventListener,
  EventSubscription,
  SubscribeOptions,
} from '../runtime/types.ts';
import { NotFoundError } from '../errors.ts';
import type { EventStream } from './event-history.ts';
import { FinalEchoes } from './final-echoes.ts';
import { unrefTimer, type Clock, type TimerHandle } from '../clock.ts';
import { RecentEvents } from './recent-events.ts';
import {
  DEFAULT_SUBSCRIBER_BUFFER,
  finalOf,
  resolveMonitorHubOptions,
  type MonitorHubOptions,
} from './monitor-options.ts';
import { replayItems } from './replay.ts';
import { SubscriberSink } from './subscriber-sink.ts';

export {
  DEFAULT_ECHO_TIMEOUT_MS,
  DEFAULT_SUBSCRIBER_BUFFER,
  resolveMonitorHubOptions,
  type MonitorHubOptions,
  type ResolvedMonitorHubOptions,
} from './monitor-options.ts';

/** One subscriber's counters. */
export interface SubscriberStats {
  id: string;
  name: string;
  filter: EventFilter;
  capacity: number;
  /** Delivered by the machine and not yet consumed by the listener (approximate). */
  pending: number;
  delivered: number;
  dropped: number;
}

/** Counters of the monitor. */
export interface MonitorStats {
  subscribers: number;
  /** Events fanned out while someone listened. */
  published: number;
  /** Events lost by subscribers whose buffers were full, since start (all subscribers). */
  dropped: number;
  /** The ring of recent events kept for resumes. */
  recent: { size: number; capacity: number; firstSeq: number; lastSeq: number };
  perSubscriber: SubscriberStats[];
}

/** Wait between attempts to open an event stream that could not be read, ms. */
const OPEN_RETRY_MS = 2000;

/** Owns the monitor actor, the recent events and the subscribers' sinks. */
export class MonitorHub {
  readonly #sinks = new Map<string, SubscriberSink>();
  readonly #actor: ActorRefFrom<typeof monitorMachine>;
  readonly #recent: RecentEvents;
  readonly #stream: EventStream | undefined;
  readonly #echoes: FinalEchoes;
  /** True once the stream feeds the monitor (cluster mode, started). */
  #streamed = false;
  #retry: TimerHandle | undefined;
  readonly #clock: Clock;
  #stopped = false;
  #nextId = 0;

  constructor(
    private readonly logger: Logger,
    options: MonitorHubOptions = {},
  ) {
    const opts = resolveMonitorHubOptions(options);
    this.#recent = new RecentEvents(opts.recentEvents);
    this.#stream = opts.stream;
    this.#clock = opts.clock;
    this.#echoes = new FinalEchoes(opts.echoTimeoutMs, opts.clock);
    const machine = monitorMachine.provide({
      actions: {
        deliver: (_, params) => this.#sinks.get(params.subscriberId)?.push(params.event),
        release: (_, params) => this.#release(params.subscriberId),
      },
    });
    this.#actor = createActor(machine);
    options.track?.('monitor', 'hub', this.#actor);
    this.#actor.start();
  }

  /** The monitor actor, for inspection. */
  get actor(): ActorRefFrom<typeof monitorMachine> {
    return this.#actor;
  }

  /** True when nobody listens. */
  get idle(): boolean {
    // A plain comparison: `matches()` parses the state value on every call, and this is read
    // for every event published.
    return this.#actor.getSnapshot().value !== 'active';
  }

  /** The sequence number of the last event shown (the stream's, in cluster mode). */
  get lastSeq(): number {
    return this.#recent.lastSeq;
  }

  /** True when the cluster's event stream feeds the monitor. */
  get streamed(): boolean {
    return this.#streamed;
  }

  /**
   * Cluster mode: starts reading the event stream from its current end; events numbered up to
   * that end are read from the stream on resume. Without a stream, or when there is no such
   * stream (it could not be created), the monitor keeps fanning out this process's own events.
   * A stream that cannot be read yet (JetStream unavailable) is opened again until it can:
   * the monitor shows the cluster's events from then on, never a mix of numbers.
   */
  async start(): Promise<void> {
    if (!this.#stream || this.#streamed) return;
    try {
      await this.#open(this.#stream);
    } catch (err) {
      if (err instanceof NotFoundError) {
        this.logger.warn({ err }, 'no event stream: the monitor shows this process only');
        return;
      }
      this.#streamed = true;
      this.logger.warn({ err }, 'event stream not readable yet: opening it again');
      this.#retryOpen(this.#stream);
    }
  }

  async #open(stream: EventStream): Promise<void> {
    const end = await stream.open((event) => this.#fanOut(event));
    this.#recent.startAfter(end);
    this.#streamed = true;
  }

  #retryOpen(stream: EventStream): void {
    this.#retry = this.#clock.setTimeout(() => {
      if (this.#actor.getSnapshot().status !== 'active') return;
      this.#open(stream).then(
        () => this.logger.info('event stream open'),
        () => this.#retryOpen(stream),
      );
    }, OPEN_RETRY_MS);
    unrefTimer(this.#retry);
  }

  /**
   * An event this process published. Embedded: kept for resumes and handed to every matching
   * subscriber (or dropped). Cluster: it comes back from the stream; a final one is noted so
   * that the run's waiters wait for it (`delivered()`).
   */
  publish(event: StampedEvent): void {
    if (!this.#streamed) return this.#fanOut(event);
    if (this.idle) return;
    const executionId = finalOf(event);
    if (executionId !== undefined) this.#echoes.note(executionId);
  }

  #fanOut(event: StampedEvent): void {
    if (this.#stopped) return; // The stream may deliver a little after stop().
    this.#recent.record(event);
    if (!this.idle) this.#actor.send({ type: 'publish', event });
    if (this.#streamed && this.#echoes.size > 0) {
      const executionId = finalOf(event);
      if (executionId !== undefined) this.#echoes.seen(executionId);
    }
  }

  /**
   * Resolves once the events published so far have reached every subscriber's listener; undefined
   * when they already have (nobody listens, or no buffer holds anything). Each sink drains its
   * buffer on its own turn of the event loop (setImmediate), scheduled when the event was pushed,
   * so one more such turn lets every subscriber that keeps up hand them over, the ones whose
   * listener returns a promise settled within the turn included. A subscriber still busy then
   * with an earlier event's promise is slow: what it holds waits in its bounded buffer, and that
   * counts as delivered. So a waiter waits one turn at most, and publishers never wait. In
   * cluster mode, first for the final events this process published to come back from the
   * stream (a NATS round trip; at most `echoTimeoutMs`).
   */
  delivered(): Promise<void> | undefined {
    if (this.#streamed && !this.idle) {
      // The final events this process published reach subscribers from the stream.
      const echoed = this.#echoes.wait();
      if (echoed) return echoed.then(() => this.#sinksDelivered());
    }
    return this.#sinksDelivered();
  }

  #sinksDelivered(): Promise<void> | undefined {
    for (const sink of this.#sinks.values()) {
      if (sink.pending > 0) return new Promise((resolve) => setImmediate(resolve));
    }
    return undefined;
  }

  /** Adds a subscriber; with `since`, kept events after it are replayed first. */
  subscribe(listener: EventListener, opts: SubscribeOptions = {}): EventSubscription {
    const id = `sub-${++this.#nextId}`;
    const capacity = opts.bufferSize ?? DEFAULT_SUBSCRIBER_BUFFER;
    const filter = opts.filter ?? {};
    const sink = new SubscriberSink(
      id,
      listener,
      capacity,
      {
        drained: (sub, count) => {
          if (this.#actor.getSnapshot().status === 'active') {
            this.#actor.send({ type: 'drained', id: sub, count });
          }
        },
        logger: this.logger,
      },
      opts.onGap,
    );
    // The replay is cut from the ring in the same turn the subscriber is added: every event
    // is either replayed or delivered live, never both, never neither.
    if (opts.since !== undefined) {
      const history = this.#streamed ? this.#stream : undefined;
      const replay = replayItems({ since: opts.since, filter, recent: this.#recent, history });
      sink.replay(replay.items, replay.floor);
    }
    this.#sinks.set(id, sink);
    this.#actor.send({ type: 'subscribe', id, name: opts.name, filter, capacity });
    return {
      id,
      dropped: () => this.#actor.getSnapshot().context.subscribers[id]?.dropped ?? 0,
      unsubscribe: () => {
        if (this.#actor.getSnapshot().status === 'active') {
          this.#actor.send({ type: 'unsubscribe', id });
        } else this.#release(id);
      },
    };
  }

  /** Counters for health and metrics. */
  stats(): MonitorStats {
    const { count, published, dropped, subscribers } = this.#actor.getSnapshot().context;
    const recent = this.#recent;
    return {
      subscribers: count,
      published,
      dropped,
      recent: {
        size: recent.size,
        capacity: recent.capacity,
        firstSeq: recent.firstSeq,
        lastSeq: recent.lastSeq,
      },
      perSubscriber: Object.values(subscribers).map((s) => ({
        id: s.id,
        name: s.name,
        filter: s.filter,
        capacity: s.capacity,
        pending: this.#sinks.get(s.id)?.pending ?? 0,
        delivered: s.delivered,
        dropped: s.dropped,
      })),
    };
  }

  /** Delivers what subscribers were already given, then removes them and stops the actor. */
  stop(): void {
    this.#stopped = true;
    this.#echoes.clear();
    if (this.#retry !== undefined) this.#clock.clearTimeout(this.#retry);
    if (this.#streamed) void this.#stream?.close();
    if (this.#actor.getSnapshot().status !== 'active') return;
    for (const sink of this.#sinks.values()) sink.flushNow();
    for (const id of [...this.#sinks.keys()]) this.#actor.send({ type: 'unsubscribe', id });
    this.#actor.stop();
  }

  #release(id: string): void {
    const sink = this.#sinks.get(id);
    if (!sink) return;
    sink.close();
    this.#sinks.delete(id);
  }
}

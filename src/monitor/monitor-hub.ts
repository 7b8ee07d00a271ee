/**
 * The runtime side of the monitor actor. Every published event is kept in a ring of recent
 * events (for resumes) and, when someone listens, sent to the monitor machine, which decides
 * per subscriber to deliver or to drop (buffer full, counted). Each subscriber's buffer is a
 * SubscriberSink drained on its own turn of the event loop, so a slow listener never runs
 * inside an actor's transition nor delays another subscriber.
 * @module
 */
import { createActor, type ActorRefFrom } from 'xstate';
import type { Logger } from 'pino';
import { z } from 'zod';
import { monitorMachine } from '../../machines/monitor.machine.ts';
import type { StampedEvent } from '../events.ts';
import { InvalidArgumentError } from '../errors.ts';
import type {
  EventFilter,
  EventListener,
  EventSubscription,
  SubscribeOptions,
} from '../runtime/types.ts';
import type { EventHistory } from './event-history.ts';
import { DEFAULT_RECENT_EVENTS, RecentEvents } from './recent-events.ts';
import { replayItems } from './replay.ts';
import { SubscriberSink } from './subscriber-sink.ts';

/** @default 1000 */
export const DEFAULT_SUBSCRIBER_BUFFER = 1000;

/** Options of the monitor hub. */
export interface MonitorHubOptions {
  /** Recent events kept in memory for resumes (`since`, SSE `Last-Event-ID`). @default 10000 */
  recentEvents?: number;
  /** Older events, beyond the recent ones (the JetStream event stream in cluster mode). */
  history?: EventHistory;
}

/** Options after defaults and validation. */
export interface ResolvedMonitorHubOptions {
  recentEvents: number;
  history: EventHistory | undefined;
}

const optionsSchema = z.object({
  recentEvents: z.number().int().min(0).max(1_000_000).default(DEFAULT_RECENT_EVENTS),
});

/** Merges defaults and validates; names the offending field on error. */
export function resolveMonitorHubOptions(input: MonitorHubOptions = {}): ResolvedMonitorHubOptions {
  const parsed = optionsSchema.safeParse({ recentEvents: input.recentEvents });
  if (!parsed.success) {
    throw InvalidArgumentError.format(
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return { recentEvents: parsed.data.recentEvents, history: input.history };
}

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

/** Owns the monitor actor, the recent events and the subscribers' sinks. */
export class MonitorHub {
  readonly #sinks = new Map<string, SubscriberSink>();
  readonly #actor: ActorRefFrom<typeof monitorMachine>;
  readonly #recent: RecentEvents;
  readonly #history: EventHistory | undefined;
  #nextId = 0;

  constructor(
    private readonly logger: Logger,
    options: MonitorHubOptions = {},
  ) {
    const opts = resolveMonitorHubOptions(options);
    this.#recent = new RecentEvents(opts.recentEvents);
    this.#history = opts.history;
    const machine = monitorMachine.provide({
      actions: {
        deliver: (_, params) => this.#sinks.get(params.subscriberId)?.push(params.event),
        release: (_, params) => this.#release(params.subscriberId),
      },
    });
    this.#actor = createActor(machine).start();
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

  /** The sequence number of the last event published. */
  get lastSeq(): number {
    return this.#recent.lastSeq;
  }

  /** Keeps the event for resumes and hands it to every matching subscriber (or drops it). */
  publish(event: StampedEvent): void {
    this.#recent.record(event);
    this.#history?.record(event);
    if (this.idle) return;
    this.#actor.send({ type: 'publish', event });
  }

  /**
   * Resolves once the events published so far have reached every subscriber's listener; undefined
   * when they already have (nobody listens, or no buffer holds anything). Each sink drains its
   * buffer on its own turn of the event loop (setImmediate), scheduled when the event was pushed,
   * so one more such turn lets every subscriber that keeps up hand them over, the ones whose
   * listener returns a promise settled within the turn included. A subscriber still busy then
   * with an earlier event's promise is slow: what it holds waits in its bounded buffer, and that
   * counts as delivered. So a waiter waits one turn at most, and publishers never wait.
   */
  delivered(): Promise<void> | undefined {
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
      sink.replay(
        replayItems({ since: opts.since, filter, recent: this.#recent, history: this.#history }),
      );
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

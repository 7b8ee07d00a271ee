/**
 * The runtime side of the monitor actor: each subscriber gets a sink with a bounded queue,
 * drained on its own turn of the event loop so a slow listener never runs inside an actor's
 * transition. The machine decides deliver-or-drop; the sink reports back what it drained.
 * @module
 */
import { createActor, type ActorRefFrom } from 'xstate';
import type { Logger } from 'pino';
import { monitorMachine } from '../../machines/monitor.machine.ts';
import type { StampedEvent } from '../events.ts';
import type { EventListener, EventSubscription, SubscribeOptions } from '../runtime/types.ts';

/** @default 1000 */
export const DEFAULT_SUBSCRIBER_BUFFER = 1000;

class Sink {
  readonly queue: StampedEvent[] = [];
  scheduled = false;
  closed = false;
  constructor(
    readonly id: string,
    readonly listener: EventListener,
  ) {}
}

/** Counters of the monitor. */
export interface MonitorStats {
  subscribers: number;
  published: number;
  dropped: number;
}

/** Owns the monitor actor and its subscribers' sinks. */
export class MonitorHub {
  readonly #sinks = new Map<string, Sink>();
  readonly #actor: ActorRefFrom<typeof monitorMachine>;
  #nextId = 0;

  constructor(private readonly logger: Logger) {
    const machine = monitorMachine.provide({
      actions: {
        deliver: (_, params) => this.#deliver(params.subscriberId, params.event),
        release: (_, params) => this.#release(params.subscriberId),
      },
    });
    this.#actor = createActor(machine).start();
  }

  /** The monitor actor, for inspection. */
  get actor(): ActorRefFrom<typeof monitorMachine> {
    return this.#actor;
  }

  /** True when nobody listens: publishers may skip the monitor. */
  get idle(): boolean {
    return !this.#actor.getSnapshot().matches('active');
  }

  /** Hands an event to every matching subscriber (or drops it for full ones). */
  publish(event: StampedEvent): void {
    if (this.idle) return;
    this.#actor.send({ type: 'publish', event });
  }

  /** Adds a subscriber. */
  subscribe(listener: EventListener, opts: SubscribeOptions = {}): EventSubscription {
    const id = `sub-${++this.#nextId}`;
    this.#sinks.set(id, new Sink(id, listener));
    this.#actor.send({
      type: 'subscribe',
      id,
      name: opts.name,
      filter: opts.filter,
      capacity: opts.bufferSize ?? DEFAULT_SUBSCRIBER_BUFFER,
    });
    return {
      id,
      dropped: () => this.#actor.getSnapshot().context.subscribers[id]?.dropped ?? 0,
      unsubscribe: () => this.#actor.send({ type: 'unsubscribe', id }),
    };
  }

  /** Counters for health and metrics. */
  stats(): MonitorStats {
    const { count, published, dropped } = this.#actor.getSnapshot().context;
    return { subscribers: count, published, dropped };
  }

  /** Delivers what subscribers were already given, then removes them and stops the actor. */
  stop(): void {
    for (const sink of this.#sinks.values()) this.#drain(sink);
    for (const id of [...this.#sinks.keys()]) this.#actor.send({ type: 'unsubscribe', id });
    this.#actor.stop();
  }

  #deliver(id: string, event: StampedEvent): void {
    const sink = this.#sinks.get(id);
    if (!sink || sink.closed) return;
    sink.queue.push(event);
    if (!sink.scheduled) {
      sink.scheduled = true;
      setImmediate(() => this.#drain(sink));
    }
  }

  #drain(sink: Sink): void {
    sink.scheduled = false;
    if (sink.closed) return;
    const batch = sink.queue.splice(0, sink.queue.length);
    for (const event of batch) {
      try {
        sink.listener(event);
      } catch (err) {
        this.logger.warn({ err, subscriber: sink.id }, 'event listener threw');
      }
    }
    if (batch.length > 0 && this.#actor.getSnapshot().status === 'active') {
      this.#actor.send({ type: 'drained', id: sink.id, count: batch.length });
    }
  }

  #release(id: string): void {
    const sink = this.#sinks.get(id);
    if (!sink) return;
    sink.closed = true;
    sink.queue.length = 0;
    this.#sinks.delete(id);
  }
}

/**
 * The monitor: receives every actor's outbound events and fans them out to subscribers, each
 * with a bounded buffer. A subscriber whose buffer is full loses the event (counted per
 * subscriber and in total); nobody else waits for it. The buffers themselves live with the
 * runtime's sinks: the machine keeps the accounting (pending, delivered, dropped) and decides,
 * per event and subscriber, to `deliver` or to drop. With no subscriber it is `idle` and
 * publishers skip it entirely.
 * @module
 */
import { assign, enqueueActions, setup } from 'xstate';
import type { StampedEvent } from '../src/events.ts';
import type { EventFilter } from '../src/runtime/types.ts';
import { matchesFilter } from './event-filter.ts';

/** One subscriber's accounting. */
export interface SubscriberState {
  id: string;
  name: string;
  filter: EventFilter;
  capacity: number;
  pending: number;
  delivered: number;
  dropped: number;
}

/** Monitor context. */
export interface MonitorContext {
  subscribers: Record<string, SubscriberState>;
  count: number;
  published: number;
  dropped: number;
}

/** Events the monitor accepts. */
export type MonitorEventIn =
  | { type: 'subscribe'; id: string; name?: string; filter?: EventFilter; capacity: number }
  | { type: 'unsubscribe'; id: string }
  | { type: 'publish'; event: StampedEvent }
  | { type: 'drained'; id: string; count: number }
  | { type: 'stop' };

/** The monitor machine. */
export const monitorMachine = setup({
  types: {
    context: {} as MonitorContext,
    events: {} as MonitorEventIn,
  },
  actions: {
    /** Hands one event to one subscriber's sink; supplied by the runtime. */
    deliver: (_, _params: { subscriberId: string; event: StampedEvent }) => {
      throw new Error("action 'deliver' was not provided");
    },
    /** Tells a subscriber's sink it was removed; supplied by the runtime. */
    release: (_, _params: { subscriberId: string }) => {
      throw new Error("action 'release' was not provided");
    },
    addSubscriber: assign(({ context, event }) => {
      const e = event as Extract<MonitorEventIn, { type: 'subscribe' }>;
      const isNew = !(e.id in context.subscribers);
      // Mutated in place: the map can hold thousands of subscribers (see run-ledger.ts).
      context.subscribers[e.id] = {
        id: e.id,
        name: e.name ?? e.id,
        filter: e.filter ?? {},
        capacity: e.capacity,
        pending: 0,
        delivered: 0,
        dropped: 0,
      };
      return { count: isNew ? context.count + 1 : context.count };
    }),
    removeSubscriber: enqueueActions(({ context, event, enqueue }) => {
      const { id } = event as { id: string };
      if (!context.subscribers[id]) return;
      delete context.subscribers[id];
      enqueue.assign({ count: context.count - 1 });
      enqueue({ type: 'release', params: { subscriberId: id } } as never);
    }),
    fanOut: enqueueActions(({ context, event, enqueue }) => {
      const stamped = (event as { event: StampedEvent }).event;
      let dropped = 0;
      for (const id in context.subscribers) {
        const sub = context.subscribers[id]!;
        if (!matchesFilter(sub.filter, stamped)) continue;
        if (sub.pending >= sub.capacity) {
          sub.dropped++;
          dropped++;
          continue;
        }
        sub.pending++;
        sub.delivered++;
        enqueue({ type: 'deliver', params: { subscriberId: id, event: stamped } } as never);
      }
      enqueue.assign({ published: context.published + 1, dropped: context.dropped + dropped });
    }),
    markDrained: ({ context, event }) => {
      const e = event as { id: string; count: number };
      const sub = context.subscribers[e.id];
      if (sub) sub.pending = Math.max(0, sub.pending - e.count);
    },
  },
  guards: {
    isLastSubscriber: ({ context, event }) =>
      context.count === 1 && (event as { id: string }).id in context.subscribers,
  },
}).createMachine({
  id: 'monitor',
  // A factory: each monitor actor gets its own table (the table is updated in place).
  context: () => ({ subscribers: {}, count: 0, published: 0, dropped: 0 }),
  initial: 'idle',
  on: { stop: '.stopped' },
  states: {
    idle: {
      on: {
        subscribe: { target: 'active', actions: 'addSubscriber' },
      },
    },
    active: {
      on: {
        subscribe: { actions: 'addSubscriber' },
        unsubscribe: [
          { guard: 'isLastSubscriber', target: 'idle', actions: 'removeSubscriber' },
          { actions: 'removeSubscriber' },
        ],
        publish: { actions: 'fanOut' },
        drained: { actions: 'markDrained' },
      },
    },
    stopped: { type: 'final' },
  },
});

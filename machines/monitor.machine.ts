/**
 * The monitor: receives every actor's outbound events and fans them out to subscribers, each
 * with a bounded buffer. A subscriber whose buffer is full loses the event (counted per
 * subscriber and in total); nobody else waits for it. The buffers themselves live with the
 * runtime's sinks: the machine keeps the accounting (pending, delivered, dropped) and decides,
 * per event and subscriber, to `deliver` or to drop. With no subscriber it is `idle` and
 * publishers skip it entirely.
 * @module
 */
import { assertEvent, assign, setup } from 'xstate';
import type { StampedEvent } from '../src/events.ts';
import type { EventFilter } from '../src/runtime/types.ts';
import { matchesFilter } from './event-filter.ts';
import { setupTypes } from './setup-types.ts';
import { eventOf } from './params.ts';

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

/**
 * Types and the actions the runtime supplies (the sinks that hold subscribers' buffers). The
 * actions that enqueue those by name are built with this setup's own typed `enqueueActions`.
 */
const monitorSetup = setup({
  types: setupTypes<{ context: MonitorContext; events: MonitorEventIn }>(),
  actions: {
    /** Hands one event to one subscriber's sink; supplied by the runtime. */
    deliver: (_, _params: { subscriberId: string; event: StampedEvent }) => {
      throw new Error("action 'deliver' was not provided");
    },
    /** Tells a subscriber's sink it was removed; supplied by the runtime. */
    release: (_, _params: { subscriberId: string }) => {
      throw new Error("action 'release' was not provided");
    },
  },
});

type Subscribe = Extract<MonitorEventIn, { type: 'subscribe' }>;

const monitorActions = monitorSetup.extend({
  actions: {
    addSubscriber: assign(({ context }, sub: Subscribe) => {
      const isNew = !(sub.id in context.subscribers);
      // Mutated in place: the map can hold thousands of subscribers (see execution-ledger.ts).
      context.subscribers[sub.id] = {
        id: sub.id,
        name: sub.name ?? sub.id,
        filter: sub.filter ?? {},
        capacity: sub.capacity,
        pending: 0,
        delivered: 0,
        dropped: 0,
      };
      return { count: isNew ? context.count + 1 : context.count };
    }),
    removeSubscriber: monitorSetup.enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'unsubscribe');
      const { id } = event;
      if (!context.subscribers[id]) return;
      delete context.subscribers[id];
      enqueue.assign({ count: context.count - 1 });
      enqueue({ type: 'release', params: { subscriberId: id } });
    }),
    fanOut: monitorSetup.enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'publish');
      const stamped = event.event;
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
        enqueue({ type: 'deliver', params: { subscriberId: id, event: stamped } });
      }
      enqueue.assign({ published: context.published + 1, dropped: context.dropped + dropped });
    }),
    markDrained: ({ context }, drained: { id: string; count: number }) => {
      const sub = context.subscribers[drained.id];
      if (sub) sub.pending = Math.max(0, sub.pending - drained.count);
    },
  },
  guards: {
    isLastSubscriber: ({ context }, params: { id: string }) =>
      context.count === 1 && params.id in context.subscribers,
  },
});

/** The monitor machine. */
export const monitorMachine = monitorActions.createMachine({
  id: 'monitor',
  // A factory: each monitor actor gets its own table (the table is updated in place).
  context: () => ({ subscribers: {}, count: 0, published: 0, dropped: 0 }),
  initial: 'idle',
  on: { stop: '.stopped' },
  states: {
    idle: {
      on: {
        subscribe: { target: 'active', actions: { type: 'addSubscriber', params: eventOf } },
      },
    },
    active: {
      on: {
        subscribe: { actions: { type: 'addSubscriber', params: eventOf } },
        unsubscribe: [
          {
            guard: { type: 'isLastSubscriber', params: eventOf },
            target: 'idle',
            actions: 'removeSubscriber',
          },
          { actions: 'removeSubscriber' },
        ],
        publish: { actions: 'fanOut' },
        drained: { actions: { type: 'markDrained', params: eventOf } },
      },
    },
    stopped: { type: 'final' },
  },
});

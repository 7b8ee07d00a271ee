/**
 * `GET /api/events`: the monitor's event stream as Server-Sent Events. Each message carries
 * `id: <seq>`, `event: <type>` and the stamped event as JSON data. A bounded queue sits between
 * the subscription and the socket: a slow client loses events (counted and announced with a
 * `monitor.dropped` message), never the engine. A heartbeat comment keeps proxies from closing.
 * @module
 */
import { Hono } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { Logger } from 'pino';
import type { Stator } from '../runtime/types.ts';
import { parseEventFilter } from '../commands/index.ts';
import { EventQueue } from './event-queue.ts';

/** Settings of the event stream. */
export interface EventRouteOptions {
  heartbeatMs: number;
  bufferSize: number;
  logger?: Logger;
}

async function pump(
  stream: SSEStreamingApi,
  queue: EventQueue,
  dropped: () => number,
  subscriberId: string,
): Promise<void> {
  let reported = 0;
  await stream.write(': connected\n\n');
  for (;;) {
    const item = await queue.take();
    if (item.kind === 'closed' || stream.aborted) return;
    const lost = dropped();
    if (lost > reported) {
      reported = lost;
      const notice = { type: 'monitor.dropped', subscriberId, dropped: lost };
      await stream.writeSSE({ event: notice.type, data: JSON.stringify(notice) });
    }
    if (item.kind === 'heartbeat') await stream.write(': heartbeat\n\n');
    else {
      const { event } = item;
      await stream.writeSSE({
        id: String(event.seq),
        event: event.type,
        data: JSON.stringify(event),
      });
    }
  }
}

/** Routes under `/api/events`. */
export function eventRoutes(stator: Stator, opts: EventRouteOptions): Hono {
  const app = new Hono();

  app.get('/', (c) => {
    const filter = parseEventFilter(c.req.query());
    const queue = new EventQueue(opts.bufferSize);
    const sub = stator.subscribe(queue.push, { filter, bufferSize: opts.bufferSize, name: 'sse' });
    const timer = setInterval(() => queue.heartbeat(), opts.heartbeatMs);
    timer.unref();
    const stop = (): void => {
      clearInterval(timer);
      queue.close();
      sub.unsubscribe();
    };
    c.req.raw.signal.addEventListener('abort', stop, { once: true });
    opts.logger?.debug({ subscriberId: sub.id, filter }, 'sse client connected');

    return streamSSE(c, async (stream) => {
      stream.onAbort(stop);
      try {
        await pump(stream, queue, () => queue.dropped + sub.dropped(), sub.id);
      } finally {
        stop();
        opts.logger?.debug({ subscriberId: sub.id, dropped: queue.dropped }, 'sse client gone');
      }
    });
  });

  return app;
}

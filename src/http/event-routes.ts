/**
 * `GET /api/events`: the monitor's event stream as Server-Sent Events. Each message carries
 * `id: <seq>`, `event: <type>` and the stamped event as JSON data; the filter comes from the
 * query (`kind`, `id`, `executionId`, `workflowId`, `type`, `severity`).
 *
 * Resume: with a `Last-Event-ID` header (what EventSource sends on reconnect) or a
 * `?lastEventId=` query, the kept events after that id are replayed before live ones. When
 * some are no longer kept, a `monitor.gap` message (no id) says how many may be lost first.
 * Ids are the monitor's sequence numbers: this process's in embedded mode, the cluster's event
 * stream's in cluster mode, where every node shows every node's events under the same ids, so a
 * client may reconnect to any node.
 *
 * Pacing: events are written as the socket takes them (batched while it is busy); a client that
 * stops reading makes its monitor buffer fill, and it loses events, counted per subscriber and
 * in the monitor's total, announced with a `monitor.dropped` message. It never slows the
 * engine or another client. A heartbeat comment keeps proxies from closing an idle stream.
 * @module
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Logger } from 'pino';
import type { StampedEvent } from '../events.ts';
import type { EventGap, EventSubscription, Stator } from '../runtime/index.ts';
import { parseEventFilter } from '../commands/index.ts';
import { InvalidArgumentError } from '../errors.ts';
import { eventJson } from '../monitor/index.ts';
import { PacedWriter } from './paced-writer.ts';

/** Settings of the event stream. */
export interface EventRouteOptions {
  heartbeatMs: number;
  bufferSize: number;
  logger?: Logger;
}

/** One SSE message; `data` is one JSON line (JSON.stringify never emits a raw newline). */
function sseMessage(event: string, data: string, id?: number): string {
  return id === undefined
    ? `event: ${event}\ndata: ${data}\n\n`
    : `id: ${id}\nevent: ${event}\ndata: ${data}\n\n`;
}

/** Parses a `Last-Event-ID` value: a sequence number, or absent. */
export function parseLastEventId(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = raw.trim();
  if (!/^\d{1,15}$/.test(value)) {
    throw InvalidArgumentError.format([
      { path: 'lastEventId', message: 'must be an event sequence number' },
    ]);
  }
  return Number(value);
}

/** Routes under `/api/events`. */
export function eventRoutes(stator: Stator, opts: EventRouteOptions): Hono {
  const app = new Hono();

  app.get('/', (c) => {
    const query = c.req.query();
    const filter = parseEventFilter(query);
    const since = parseLastEventId(c.req.header('last-event-id') ?? query['lastEventId']);

    return streamSSE(c, async (stream) => {
      const writer = new PacedWriter((text) => stream.write(text));
      let reported = 0;
      const listener = (event: StampedEvent): Promise<void> | undefined => {
        // Called on a later turn than subscribe(): `sub` is set by then.
        const lost = sub.dropped();
        if (lost > reported) {
          reported = lost;
          const notice = { type: 'monitor.dropped', subscriberId: sub.id, dropped: lost };
          void writer.push(sseMessage(notice.type, JSON.stringify(notice)));
        }
        return writer.push(sseMessage(event.type, eventJson(event), event.seq));
      };
      const onGap = (gap: EventGap): Promise<void> | undefined =>
        writer.push(sseMessage('monitor.gap', JSON.stringify({ type: 'monitor.gap', ...gap })));

      const sub: EventSubscription = stator.subscribe(listener, {
        filter,
        bufferSize: opts.bufferSize,
        name: 'sse',
        ...(since !== undefined && { since, onGap }),
      });
      // Subscribed before this goes out, so a client that saw it misses nothing after it; the
      // replay and live events follow (the sink hands them over on a later turn).
      void writer.push(': connected\n\n');
      opts.logger?.debug({ subscriberId: sub.id, filter, since }, 'sse client connected');
      const timer = setInterval(() => {
        if (writer.idle) void writer.push(': heartbeat\n\n');
      }, opts.heartbeatMs);
      timer.unref();
      try {
        await new Promise<void>((resolve) => {
          if (stream.aborted || c.req.raw.signal.aborted) return resolve();
          stream.onAbort(resolve);
          c.req.raw.signal.addEventListener('abort', () => resolve(), { once: true });
        });
      } finally {
        clearInterval(timer);
        writer.close();
        const dropped = sub.dropped();
        sub.unsubscribe();
        opts.logger?.debug({ subscriberId: sub.id, dropped }, 'sse client gone');
      }
    });
  });

  return app;
}

/**
 * Cluster nodes in this test process: each one is what `stator serve --nats` builds — its own
 * NATS connection (connectCluster: NATS bus, JetStream store, work queue, event stream), a
 * service whose monitor reads the cluster's event stream, and the HTTP API on a random port —
 * so several of them on one nats-server form a real cluster, only without a process each.
 * Also: an SSE reader that collects events from a node until a condition holds.
 * @module
 */
import pino from 'pino';
import { expect } from 'vitest';
import { createStator, type Stator, type StatorOptions } from '../../../src/index.ts';
import type { StampedEvent } from '../../../src/events.ts';
import type { EventGap } from '../../../src/runtime/types.ts';
import { connectCluster, type ClusterSeams } from '../../../src/runtime/cluster.ts';
import { createJetStreamEventStream } from '../../../src/monitor/index.ts';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../../src/http/index.ts';
import { readSse } from '../../helpers/sse-client.ts';

const logger = pino({ level: 'silent' });

/** One node. */
export interface ClusterNode {
  readonly name: string;
  readonly seams: ClusterSeams;
  readonly stator: Stator;
  /** Base URL of its HTTP API. */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a node named `name` on `prefix`; `options` go to createStator. */
export async function startClusterNode(
  natsUrl: string,
  prefix: string,
  name: string,
  options: Partial<StatorOptions> = {},
): Promise<ClusterNode> {
  const seams = await connectCluster({ url: natsUrl, name, prefix, logger });
  let stator: Stator | undefined;
  let http: HttpServerHandle | undefined;
  try {
    stator = await createStator({
      ...options,
      bus: seams.bus,
      store: seams.store,
      workQueue: seams.workQueue,
      node: name,
      shutdownGraceMs: 0,
      monitor: {
        ...options.monitor,
        stream: createJetStreamEventStream({ connection: seams.bus.connection, prefix }),
      },
    });
    http = await startHttpServer({ app: createHttpApp({ stator }), port: 0 });
  } catch (err) {
    await stator?.close();
    await seams.close();
    throw err;
  }
  const [s, h] = [stator, http];
  return {
    name,
    seams,
    stator: s,
    url: h.url,
    async close() {
      await h.close().catch(() => undefined);
      await s.close().catch(() => undefined);
      await seams.close().catch(() => undefined);
    },
  };
}

/** What an SSE reading got. */
export interface SseRead {
  events: StampedEvent[];
  gaps: EventGap[];
  /** The `id:` of every event message, as numbers, in order. */
  ids: number[];
}

/**
 * Reads `/api/events` of `baseUrl` (with `query`, and `Last-Event-ID` when `lastEventId` is
 * given) until `done(read)` holds after an event, or `signal` aborts; `onConnected` runs once
 * the stream is subscribed.
 */
export async function readEvents(
  baseUrl: string,
  opts: {
    query?: string;
    lastEventId?: number;
    done?: (read: SseRead) => boolean;
    signal?: AbortSignal;
    onConnected?: () => unknown;
  } = {},
): Promise<SseRead> {
  const abort = new AbortController();
  opts.signal?.addEventListener('abort', () => abort.abort(), { once: true });
  const headers: Record<string, string> =
    opts.lastEventId === undefined ? {} : { 'last-event-id': String(opts.lastEventId) };
  const res = await fetch(`${baseUrl}/api/events${opts.query ?? ''}`, {
    headers,
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  const read: SseRead = { events: [], gaps: [], ids: [] };
  try {
    for await (const msg of readSse(res.body!)) {
      if (msg.comment === 'connected') opts.onConnected?.();
      if (msg.event === 'monitor.gap') read.gaps.push(JSON.parse(msg.data!) as EventGap);
      if (msg.id === undefined || msg.data === undefined) continue;
      read.ids.push(Number(msg.id));
      read.events.push(JSON.parse(msg.data) as StampedEvent);
      if (opts.done?.(read)) break;
    }
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  } finally {
    abort.abort();
  }
  return read;
}

/** The run an event belongs to, if any. */
export function executionOf(e: StampedEvent): string | undefined {
  return (e as { executionId?: string }).executionId;
}

/**
 * The JetStream event stream (`<prefix>_events`, created by the store's ensureEventStream) as
 * the monitor's EventStream in cluster mode. Every node publishes its actors' events on their
 * `.out` subjects; the stream stores them in one order, and each node's monitor reads it back
 * with an ordered consumer, so SSE, WebSocket and in-process subscribers of any node see every
 * node's events numbered by their stream sequence.
 *
 * The live feed is an ordered pull consumer started just after the stream's end: the client
 * recreates it from the last sequence it delivered whenever it misses heartbeats, the server
 * restarts or it falls out of order, so the feed has no gap and no duplicate across outages.
 * Resumes read the stream by sequence (stream-read.ts).
 * @module
 */
import {
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { NotFoundError } from '../../errors.ts';
import { systemClock, unrefTimer, type Clock } from '../../clock.ts';
import { subjectSpace } from '../../bus/index.ts';
import type { EventStream, HistoryQuery, HistoryRead, StreamDelivery } from '../event-history.ts';
import { readStream } from './stream-read.ts';
import { streamEvent } from './stream-event.ts';

/** Options of createJetStreamEventStream. */
export interface JetStreamEventStreamOptions {
  connection: NatsConnection;
  /** Name prefix; the stream is `<prefix>_events`. @default 'stator' */
  prefix?: string;
  logger?: Logger;
  /** Stream messages read at most per resume. @default 200000 */
  maxReplay?: number;
  /** Messages pulled per request by the live feed and by resumes. @default 256 */
  batch?: number;
  /**
   * How long one pull of the live feed lasts, ms; heartbeats come every half of it, and two
   * missed ones make the client recreate the consumer, so this bounds how long a pull lost in
   * a server restart stalls the feed. @default 3000
   */
  pullExpiresMs?: number;
  /** Times the restart of a feed the client gave up. @default systemClock */
  clock?: Clock;
}

/** Wait before following the stream again once the client gave its consumer up. */
const RESTART_MS = 1000;

/** The event stream as the monitor's source of events and history. */
export function createJetStreamEventStream(opts: JetStreamEventStreamOptions): EventStream {
  const subjects = subjectSpace(opts.prefix);
  const stream = subjects.streams.events;
  const batch = opts.batch ?? 256;
  const maxReplay = opts.maxReplay ?? 200_000;
  const expiresMs = opts.pullExpiresMs ?? 3000;
  let messages: ConsumerMessages | undefined;
  let closed = false;

  async function lastSeq(): Promise<number> {
    const jsm = await jetstreamManager(opts.connection);
    try {
      return (await jsm.streams.info(stream)).state.last_seq;
    } catch (err) {
      // For good: another stream may capture the subjects (see ensureEventStream's caller).
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) {
        throw new NotFoundError('event stream', stream);
      }
      throw err;
    }
  }

  async function open(deliver: StreamDelivery): Promise<number> {
    const end = await lastSeq();
    let next = end + 1;
    const take = (msg: JsMsg): void => {
      next = msg.seq + 1;
      const event = streamEvent(msg);
      if (event) deliver(event);
      else opts.logger?.warn({ seq: msg.seq, subject: msg.subject }, 'not an event: skipped');
    };
    await follow(next, take);
    return end;

    /** Consumes from `from` on; should the client give the consumer up, follows again. */
    async function follow(from: number, onMsg: (msg: JsMsg) => void): Promise<void> {
      const consumer = await jetstream(opts.connection).consumers.get(stream, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: from,
      });
      const feed = await consumer.consume({ max_messages: batch, expires: expiresMs });
      if (closed) return void (await feed.close().catch(() => undefined));
      messages = feed;
      void (async () => {
        for await (const status of feed.status()) {
          if (status.type !== 'heartbeats_missed' && status.type !== 'ordered_consumer_recreated')
            continue;
          opts.logger?.debug({ status }, 'event stream consumer');
        }
      })().catch(() => undefined);
      void (async () => {
        for await (const msg of feed) onMsg(msg);
      })()
        .catch((err: unknown) => opts.logger?.warn({ err }, 'event stream feed stopped'))
        .then(() => again());
    }

    /** The client stopped the consumer (it failed to recreate it for long): start anew. */
    function again(): void {
      if (closed || opts.connection.isClosed()) return;
      opts.logger?.warn({ from: next }, 'event stream feed restarts');
      const clock = opts.clock ?? systemClock;
      unrefTimer(
        clock.setTimeout(() => {
          if (closed || opts.connection.isClosed()) return;
          follow(next, take).catch(() => again());
        }, RESTART_MS),
      );
    }
  }

  async function close(): Promise<void> {
    closed = true;
    await messages?.close().catch(() => undefined);
    messages = undefined;
  }

  function read(query: HistoryQuery): Promise<HistoryRead> {
    return readStream({ connection: opts.connection, subjects, stream, batch, maxReplay }, query);
  }

  return { open, close, read, lastSeq };
}

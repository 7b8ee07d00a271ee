/**
 * One stream trigger (`nats: {subject, stream}`): a durable pull consumer on the stream, filtered
 * on the subject and shared by every process of the deployment, so each message goes to one
 * process and messages published while every process was down wait in the stream. A message is
 * acknowledged only once what it did is settled: its run recorded (started or queued), or it
 * refused for good (rejected, or skipped by the overlap policy: the `trigger.*` event says why).
 * A recoverable failure, a busy trigger or a paused one naks it for a later redelivery. Its run
 * is created under an idempotency key built from its stream sequence (trigger-names.ts), so a
 * redelivery after a crash answers the run the first delivery created instead of a second one.
 * While the trigger waits its turn the message is kept alive (`working`), so `ackWaitMs` only
 * measures how long a dead process holds it. A missing stream puts the trigger in `error`
 * (a fault) and is looked for again every `retryMs`.
 * @module
 */
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock.ts';
import { NotFoundError, toWire, type WireError } from '../errors.ts';
import type { MessageResult, TriggerMessage } from './trigger-message.ts';
import { streamMessageKey } from './trigger-names.ts';

/** Where stream triggers consume from (cluster mode only). */
export interface StreamTriggerSource {
  /** The cluster's NATS connection. */
  connection: NatsConnection;
  /** The deployment prefix (`--nats-prefix`): names the durable consumers. */
  prefix: string;
  /** Redelivery delay of a message whose process went silent. @default 10000 */
  ackWaitMs?: number;
  /** Messages handed to this deployment and not yet settled, at most. @default 128 */
  maxAckPending?: number;
  /** Delay before a nak'd message comes back, and between attempts to find the stream. @default 1000 */
  retryMs?: number;
}

/** Defaults of StreamTriggerSource. */
export const STREAM_TRIGGER_DEFAULTS = { ackWaitMs: 10_000, maxAckPending: 128, retryMs: 1000 };
/** A paused trigger's messages are offered again this much later. */
const HELD_RETRY_MS = 5000;

/** What one stream consumer needs. */
export interface StreamConsumerOptions {
  source: StreamTriggerSource;
  triggerId: string;
  stream: string;
  subject: string;
  durable: string;
  handle(msg: TriggerMessage): Promise<MessageResult>;
  /** The stream cannot be consumed (missing), or null once it can. */
  fault(error: WireError | null): void;
  clock: Clock;
  logger: Logger;
}

/** How a settled message is answered to the server. */
export type StreamAnswer = 'ack' | 'term' | { nakMs: number };

/** The answer for what a message did (exported for the unit tests). */
export function answerOf(result: MessageResult, retryMs: number): StreamAnswer {
  switch (result.status) {
    case 'started':
    case 'queued':
      return 'ack';
    case 'rejected':
      return 'term';
    case 'held':
      return { nakMs: HELD_RETRY_MS };
    case 'skipped':
      return result.reason === 'busy' ? { nakMs: retryMs } : 'ack';
    case 'failed':
      return result.error.recoverable ? { nakMs: retryMs } : 'term';
  }
}

/** Consumes one stream trigger until stopped. */
export class StreamTriggerConsumer {
  readonly #o: StreamConsumerOptions;
  readonly #settings: typeof STREAM_TRIGGER_DEFAULTS;
  #messages: ConsumerMessages | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;
  #running: Promise<void> = Promise.resolve();
  readonly #inFlight = new Set<Promise<void>>();

  constructor(opts: StreamConsumerOptions) {
    this.#o = opts;
    const { ackWaitMs, maxAckPending, retryMs } = opts.source;
    const d = STREAM_TRIGGER_DEFAULTS;
    this.#settings = {
      ackWaitMs: ackWaitMs ?? d.ackWaitMs,
      maxAckPending: maxAckPending ?? d.maxAckPending,
      retryMs: retryMs ?? d.retryMs,
    };
  }

  /** Starts consuming (in the background). */
  start(): void {
    this.#running = this.#loop();
  }

  /** Stops taking messages; those in flight finish (or are nak'd by their trigger's stop). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#messages?.close().catch(() => undefined);
    await this.#running;
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Deletes the durable consumer (the workflow was deleted). */
  async deleteConsumer(): Promise<void> {
    const jsm = await jetstreamManager(this.#o.source.connection);
    await jsm.consumers.delete(this.#o.stream, this.#o.durable).catch(() => false);
  }

  async #loop(): Promise<void> {
    const { logger, triggerId, stream } = this.#o;
    while (!this.#stopped) {
      try {
        const created = await this.#ensure();
        this.#o.fault(null);
        const js = jetstream(this.#o.source.connection);
        const consumer = await js.consumers.get(stream, this.#o.durable);
        const messages = await consumer.consume({ max_messages: this.#settings.maxAckPending });
        this.#messages = messages;
        void this.#watch(messages);
        for await (const m of messages) {
          if (this.#stopped) {
            m.nak();
            continue;
          }
          this.#track(this.#take(m, created));
        }
      } catch (err) {
        if (this.#stopped) break;
        logger.warn({ err, triggerId, stream }, 'stream trigger cannot consume');
        this.#o.fault(toWire(err));
      }
      await this.#sleep(this.#settings.retryMs);
    }
  }

  /** Ends the consumption when the consumer or stream is gone, so the loop makes it again. */
  async #watch(messages: ConsumerMessages): Promise<void> {
    for await (const s of messages.status()) {
      if (
        s.type === 'consumer_deleted' ||
        s.type === 'consumer_not_found' ||
        s.type === 'stream_not_found'
      ) {
        await messages.close();
        return;
      }
    }
  }

  /** Makes the durable consumer (or updates its filter); returns the stream's creation time. */
  async #ensure(): Promise<number> {
    const { stream, durable, subject } = this.#o;
    const jsm = await jetstreamManager(this.#o.source.connection);
    const info = await jsm.streams.info(stream).catch(() => {
      throw new NotFoundError('stream', stream);
    });
    const config = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      // Created once, by the first process: messages already in the stream start runs too.
      deliver_policy: DeliverPolicy.All,
      filter_subject: subject,
      ack_wait: nanos(this.#settings.ackWaitMs),
      max_ack_pending: this.#settings.maxAckPending,
    };
    const existing = await jsm.consumers.info(stream, durable).catch(() => undefined);
    if (existing === undefined) await jsm.consumers.add(stream, config);
    else if (
      existing.config.filter_subject !== subject ||
      existing.config.max_ack_pending !== config.max_ack_pending ||
      existing.config.ack_wait !== config.ack_wait
    ) {
      const { filter_subject, max_ack_pending, ack_wait } = config;
      await jsm.consumers.update(stream, durable, { filter_subject, max_ack_pending, ack_wait });
    }
    return Date.parse(info.created);
  }

  async #take(m: JsMsg, createdMs: number): Promise<void> {
    // Waiting behind other fires is not being dead: keep the message ours meanwhile.
    const { clock } = this.#o;
    let alive: TimerHandle | undefined;
    const touch = () => {
      alive = clock.setTimeout(() => (m.working(), touch()), this.#settings.ackWaitMs / 3);
    };
    touch();
    let answer: StreamAnswer;
    try {
      const result = await this.#o.handle({
        subject: m.subject,
        data: m.data,
        idempotencyKey: streamMessageKey(this.#o.stream, createdMs, m.seq),
      });
      answer = answerOf(result, this.#settings.retryMs);
    } catch (err) {
      this.#o.logger.warn(
        { err, triggerId: this.#o.triggerId, seq: m.seq },
        'stream message failed',
      );
      answer = { nakMs: this.#settings.retryMs };
    } finally {
      clock.clearTimeout(alive);
    }
    if (answer === 'ack') m.ack();
    else if (answer === 'term') m.term();
    else m.nak(answer.nakMs);
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const { clock } = this.#o;
    return new Promise((resolve) => {
      const timer = clock.setTimeout(() => resolve(), ms);
      this.#wake = () => {
        clock.clearTimeout(timer);
        resolve();
      };
    });
  }
}

/**
 * The cluster work queue: a JetStream work-queue stream on `<prefix>.work.<pool>` with one
 * durable pull consumer shared by every process. A process fetches only as many requests as
 * its engines have free slots, acks a request once the run's final record is stored, touches
 * it (`working`) while the run goes on, and naks it on shutdown so another process takes it
 * at once. A process that dies without a word has its requests redelivered after `ackWaitMs`,
 * and the taker adopts the run from its step records (adopt-run.ts).
 * @module
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { nanos } from '@nats-io/transport-node';
import {
  AckPolicy,
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type Consumer,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { subjectSpace, type SubjectSpace } from '../../bus/index.ts';
import { UnavailableError } from '../../errors.ts';
import { sleep, systemClock, type Clock } from '../../clock.ts';
import type { WorkConsumer, WorkItem, WorkQueue } from './types.ts';

/** Options of the JetStream work queue. */
export interface JetStreamWorkQueueOptions {
  connection: NatsConnection;
  logger: Logger;
  /** The deployment's names (subject, stream and consumer). @default subjectSpace('stator') */
  subjects?: SubjectSpace;
  /** @default "default" */
  pool?: string;
  /** Requests waiting at most; publishing beyond fails. @default 10000 */
  limit?: number;
  /** Redelivery delay of a request whose process went silent. @default 30000 */
  ackWaitMs?: number;
  /** Stream name; holds only this pool's subject. @default `<prefix>_work` */
  stream?: string;
  /** Copies of the stream (and its consumer) JetStream keeps. @default 1 */
  replicas?: number;
  /** Times the count's age and the pause after a failed fetch. @default systemClock */
  clock?: Clock;
}

const DEFAULT_POOL = 'default';
const FETCH_EXPIRES_MS = 1000;
/** Pause after a failed fetch before the next. */
const FETCH_RETRY_MS = 500;
/** Age past which `size()` asks the consumer for its count again. */
const COUNT_MAX_AGE_MS = 1000;

/** Creates the stream and consumer if missing and returns the queue. */
export async function createJetStreamWorkQueue(
  opts: JetStreamWorkQueueOptions,
): Promise<WorkQueue> {
  const pool = opts.pool ?? DEFAULT_POOL;
  const names = opts.subjects ?? subjectSpace();
  const streamName = opts.stream ?? names.streams.work;
  const subject = names.workSubject(pool);
  const jsm = await jetstreamManager(opts.connection);
  const config = {
    name: streamName,
    subjects: [subject],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    max_msgs: opts.limit ?? 10_000,
    num_replicas: opts.replicas ?? 1,
  };
  try {
    await jsm.streams.info(streamName);
    await jsm.streams.update(streamName, {
      max_msgs: config.max_msgs,
      discard: config.discard,
      num_replicas: config.num_replicas,
    });
  } catch {
    await jsm.streams.add(config);
  }
  const durable = names.durables.work(pool);
  try {
    await jsm.consumers.info(streamName, durable);
  } catch {
    await jsm.consumers.add(streamName, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(opts.ackWaitMs ?? 30_000),
      filter_subject: subject,
      max_ack_pending: -1,
    });
  }
  const js = jetstream(opts.connection);
  const consumer = await js.consumers.get(streamName, durable);
  return new JetStreamWorkQueue(js, consumer, subject, opts.logger, opts.clock ?? systemClock);
}

class JetStreamWorkQueue implements WorkQueue {
  readonly kind = 'jetstream';
  readonly shared = true;
  #consumer: WorkConsumer | undefined;
  #fetching = false;
  #closed = false;
  #pending = 0;
  #countedAt = 0;
  #counting = false;
  readonly #inFlight = new Set<JsMsg>();

  constructor(
    private readonly js: JetStreamClient,
    private readonly source: Consumer,
    private readonly subject: string,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  /**
   * Requests in the stream that no process has taken yet (the consumer's `num_pending`): learnt
   * from each fetch, and from the consumer's info when that is older than a second (a process
   * whose slots are all busy does not fetch).
   */
  size(): number {
    if (!this.#closed && !this.#counting && this.clock.now() - this.#countedAt > COUNT_MAX_AGE_MS) {
      this.#counting = true;
      this.source
        .info(false)
        .then((info) => this.#counted(info.num_pending))
        .catch(() => undefined)
        .finally(() => (this.#counting = false));
    }
    return this.#pending;
  }

  #counted(pending: number): void {
    this.#pending = pending;
    this.#countedAt = this.clock.now();
  }

  async push(item: WorkItem): Promise<void> {
    try {
      await this.js.publish(this.subject, JSON.stringify(item), { msgID: item.executionId });
    } catch (err) {
      throw new UnavailableError(`could not queue execution: ${(err as Error).message}`, err);
    }
  }

  start(consumer: WorkConsumer): void {
    this.#consumer = consumer;
    this.poke();
  }

  poke(): void {
    if (this.#fetching || this.#closed || !this.#consumer) return;
    if (this.#consumer.capacity() <= 0) return;
    this.#fetching = true;
    void this.#fetchLoop().finally(() => {
      this.#fetching = false;
    });
  }

  remove(): boolean {
    // Queued requests of cancelled runs stay in the stream; the taker skips finished runs.
    return false;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#consumer = undefined;
  }

  async #fetchLoop(): Promise<void> {
    while (!this.#closed && this.#consumer && this.#consumer.capacity() > 0) {
      const want = this.#consumer.capacity();
      let got = 0;
      try {
        const batch = await this.source.fetch({ max_messages: want, expires: FETCH_EXPIRES_MS });
        for await (const msg of batch) {
          got++;
          // What the stream still holds after this message (not batch.getPending(): that counts
          // the client's undelivered iterator entries, and stays 1 on an idle engine).
          if (msg.info.pending >= 0) this.#counted(msg.info.pending);
          this.#deliver(msg);
        }
        if (got === 0) this.#counted(0);
      } catch (err) {
        if (this.#closed) return;
        this.logger.warn({ err }, 'fetching work failed; retrying');
        await sleep(this.clock, FETCH_RETRY_MS, { unref: false });
      }
      if (got === 0 && this.#closed) return;
    }
  }

  #deliver(msg: JsMsg): void {
    const consumer = this.#consumer;
    let item: WorkItem;
    try {
      item = msg.json<WorkItem>();
      if (typeof item?.executionId !== 'string') throw new Error('no executionId');
    } catch (err) {
      this.logger.error({ err }, 'dropping a malformed work request');
      msg.term();
      return;
    }
    if (!consumer || this.#closed) {
      msg.nak();
      return;
    }
    this.#inFlight.add(msg);
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      this.#inFlight.delete(msg);
      fn();
    };
    consumer.take(item, {
      done: () => settle(() => msg.ack()),
      release: () =>
        settle(() => {
          msg.nak();
          // As the in-process queue does: what is given back is offered again at once.
          this.poke();
        }),
      touch: () => {
        if (!settled) msg.working();
      },
    });
  }
}

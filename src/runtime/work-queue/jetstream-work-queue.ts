/**
 * The cluster work queue: a JetStream work-queue stream with one subject and one durable pull
 * consumer per priority, shared by every process (jetstream-work-setup.ts). A process fetches
 * only as many requests as its engines have free slots, from the highest priority known to hold
 * any, acks a request once the run's final record is stored, touches it (`working`) while the
 * run goes on, and naks it on shutdown so another process takes it at once. A process that dies
 * without a word has its requests redelivered after `ackWaitMs`, and the taker adopts the run
 * from its step records (adopt-run.ts).
 *
 * Which lane holds requests is known without a round trip on the hot path: each delivered
 * message tells how many its consumer still holds; a plain subscription to the non-default
 * priorities' subjects counts their publishes (the default subject has none, so the
 * single-priority case carries no extra traffic); and every second the consumers' counts are
 * read again in the background (requests given back or redelivered are not published again).
 * With nothing known anywhere, the process long-polls the default lane as before priorities.
 *
 * A workflow's `maxQueuedExecutions` is held across the processes by the queued bucket
 * (jetstream-queued-runs.ts): `reserve` at admission, freed when a process takes the request.
 * @module
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  jetstream,
  jetstreamManager,
  type Consumer,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { subjectSpace, type SubjectSpace } from '../../bus/index.ts';
import { UnavailableError } from '../../errors.ts';
import { sleep, systemClock, type Clock } from '../../clock.ts';
import { ensureWorkStream, type WorkLaneNames } from './jetstream-work-setup.ts';
import { DEFAULT_PRIORITY, laneOf } from './priority.ts';
import { QueuedRuns, type QueuedRunState } from './jetstream-queued-runs.ts';
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
  /** Stream name; holds only this pool's subjects. @default `<prefix>_work` */
  stream?: string;
  /** Copies of the stream (and its consumers) JetStream keeps. @default 1 */
  replicas?: number;
  /** Times the counts' age and the pause after a failed fetch. @default systemClock */
  clock?: Clock;
  /**
   * The store's word on a run holding a place in its workflow's bound, so places left by a
   * killed process are freed (jetstream-queued-runs.ts). Absent: freed only by takers.
   */
  runState?: (executionId: string) => Promise<QueuedRunState>;
}

const DEFAULT_POOL = 'default';
const FETCH_EXPIRES_MS = 1000;
/** Pause after a failed fetch before the next. */
const FETCH_RETRY_MS = 500;
/** Age past which the lanes' counts are asked of their consumers again. */
const COUNT_MAX_AGE_MS = 1000;
const DEFAULT_LANE = laneOf(DEFAULT_PRIORITY);

/** One priority: its subject, its consumer and what it is known to hold. */
interface Lane extends WorkLaneNames {
  source: Consumer;
  pending: number;
}

/** Creates the stream and consumers if missing and returns the queue. */
export async function createJetStreamWorkQueue(
  opts: JetStreamWorkQueueOptions,
): Promise<WorkQueue> {
  const pool = opts.pool ?? DEFAULT_POOL;
  const names = opts.subjects ?? subjectSpace();
  const jsm = await jetstreamManager(opts.connection);
  const laneNames = await ensureWorkStream(jsm, {
    names,
    pool,
    stream: opts.stream ?? names.streams.work,
    limit: opts.limit ?? 10_000,
    replicas: opts.replicas ?? 1,
    ackWaitMs: opts.ackWaitMs ?? 30_000,
  });
  const js = jetstream(opts.connection);
  const lanes: Lane[] = [];
  for (const l of laneNames) {
    const source = await js.consumers.get(opts.stream ?? names.streams.work, l.durable);
    lanes.push({ ...l, source, pending: (await source.info(true)).num_pending });
  }
  const clock = opts.clock ?? systemClock;
  const queued = await QueuedRuns.open({
    connection: opts.connection,
    bucket: names.buckets.queued,
    replicas: opts.replicas ?? 1,
    logger: opts.logger,
    clock,
    ...(opts.runState && { runState: opts.runState }),
  });
  const queue = new JetStreamWorkQueue(js, lanes, queued, opts.logger, clock);
  queue.watch(opts.connection, `${names.workSubject(pool)}.*`);
  return queue;
}

class JetStreamWorkQueue implements WorkQueue {
  readonly kind = 'jetstream';
  readonly shared = true;
  #consumer: WorkConsumer | undefined;
  #fetching = false;
  #idle = false;
  #closed = false;
  #countedAt: number;
  #counting = false;
  #watch: Subscription | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly lanes: Lane[],
    private readonly queued: QueuedRuns,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {
    this.#countedAt = clock.now();
  }

  /** Counts the publishes to the non-default priorities (`subject`: their wildcard). */
  watch(connection: NatsConnection, subject: string): void {
    this.#watch = connection.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        const priority = Number(msg.subject.slice(msg.subject.lastIndexOf('.') + 1));
        const lane = this.lanes[laneOf(priority)];
        if (!lane || lane === this.lanes[DEFAULT_LANE]) return;
        lane.pending++;
        // An idle process is long-polling the default lane: take this one beside it.
        if (this.#idle) {
          this.#fetchLane(lane, 1).catch((e: unknown) =>
            this.logger.debug({ err: e }, 'a side fetch of work failed'),
          );
        }
      },
    });
  }

  /** Requests in the stream that no process has taken yet, as far as this process knows. */
  size(): number {
    this.#recountIfStale();
    return this.lanes.reduce((n, l) => n + l.pending, 0);
  }

  #recountIfStale(): void {
    if (this.#closed || this.#counting) return;
    if (this.clock.now() - this.#countedAt <= COUNT_MAX_AGE_MS) return;
    this.#counting = true;
    Promise.all(
      this.lanes.map((lane) =>
        lane.source.info(false).then((info) => (lane.pending = info.num_pending)),
      ),
    )
      .then(() => (this.#countedAt = this.clock.now()))
      .catch(() => undefined)
      .finally(() => (this.#counting = false));
  }

  reserve(workflowId: string, executionId: string, limit: number): Promise<boolean> {
    return this.queued.enter(workflowId, executionId, limit);
  }

  unreserve(workflowId: string, executionId: string): void {
    this.queued.leave(workflowId, executionId);
  }

  async push(item: WorkItem, opts?: { again?: string }): Promise<void> {
    const lane = this.lanes[laneOf(item.priority)]!;
    const msgID = opts?.again ? `${item.executionId}.${opts.again}` : item.executionId;
    try {
      await this.js.publish(lane.subject, JSON.stringify(item), { msgID });
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
    this.#watch?.unsubscribe();
    this.queued.close();
  }

  async #fetchLoop(): Promise<void> {
    while (!this.#closed && this.#consumer && this.#consumer.capacity() > 0) {
      this.#recountIfStale();
      const want = this.#consumer.capacity();
      // The highest lane known to hold requests; none known: long-poll the default lane.
      const lane = this.lanes.find((l) => l.pending > 0);
      try {
        if (lane) await this.#fetchLane(lane, Math.min(want, lane.pending));
        else {
          this.#idle = true;
          await this.#fetchLane(this.lanes[DEFAULT_LANE]!, want);
        }
      } catch (err) {
        if (this.#closed) return;
        this.logger.warn({ err }, 'fetching work failed; retrying');
        await sleep(this.clock, FETCH_RETRY_MS, { unref: false });
      } finally {
        this.#idle = false;
      }
    }
  }

  /** Fetches up to `max` requests of one lane and hands them over; learns what it still holds. */
  async #fetchLane(lane: Lane, max: number): Promise<void> {
    let got = 0;
    const batch = await lane.source.fetch({ max_messages: max, expires: FETCH_EXPIRES_MS });
    for await (const msg of batch) {
      got++;
      // What the consumer still holds after this message (not batch.getPending(): that counts
      // the client's undelivered iterator entries, and stays 1 on an idle engine).
      if (msg.info.pending >= 0) lane.pending = msg.info.pending;
      this.#deliver(lane, msg);
    }
    if (got === 0) lane.pending = 0;
  }

  #deliver(lane: Lane, msg: JsMsg): void {
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
    // Beyond the consumer's room (a side fetch of an idle process met a default one): given
    // back at once for anyone to take.
    if (!consumer || this.#closed) {
      msg.nak();
      lane.pending++;
      return;
    }
    // Taken: the run no longer waits in its workflow's bound (given back, it is not counted).
    if (item.reserved && item.workflowId !== undefined) {
      this.queued.leave(item.workflowId, item.executionId);
    }
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    consumer.take(item, {
      done: () => settle(() => msg.ack()),
      release: () =>
        settle(() => {
          msg.nak();
          // Back in its lane: known here at once (other processes learn it by recounting).
          lane.pending++;
          // As the in-process queue does: what is given back is offered again at once.
          this.poke();
        }),
      touch: () => {
        if (!settled) msg.working();
      },
    });
  }
}

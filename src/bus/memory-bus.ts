/**
 * The in-process bus: NATS semantics without a server. Subjects with `*`/`>` wildcards, queue
 * groups (round-robin), request-reply with timeout, `max` auto-unsubscribe. Delivery is
 * asynchronous through one FIFO drained on a microtask, so handlers never run inside `publish`
 * and every subscription sees messages in publish order.
 * @module
 */
import { callHandler } from './handler-call.ts';
import { z } from 'zod';
import { systemClock, type Clock, type TimerHandle } from '../clock.ts';
import {
  InvalidArgumentError,
  NoRespondersError,
  TimeoutError,
  UnavailableError,
} from '../errors.ts';
import { EncodedPayload } from './codec.ts';
import { inboxSubject, subjectSpace, type SubjectSpace } from './subjects.ts';
import {
  isWildcardPattern,
  tokensMatch,
  validatePattern,
  validateSubject,
} from './subject-patterns.ts';
import type {
  Bus,
  BusHandler,
  BusMessage,
  BusStats,
  BusSubscription,
  RequestOptions,
  SubscribeOptions,
} from './types.ts';

/** Default bound on undelivered messages per subscription. */
export const DEFAULT_MAX_PENDING = 65_536;
/** Default request timeout (ms). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
/** Default number of deliveries per turn before yielding to the event loop. */
export const DEFAULT_DELIVERY_BATCH = 1_024;

/** Options of the in-process bus. */
export interface MemoryBusOptions {
  /** Undelivered messages a subscription may hold; more are dropped and counted. @default 65536 */
  maxPending?: number;
  /** Timeout of requests that do not name one. @default 5000 */
  requestTimeoutMs?: number;
  /** Deliveries per turn before yielding to timers and I/O (a handler that republishes to itself cannot starve the process). @default 1024 */
  deliveryBatch?: number;
  /** Clock for request timeouts. @default systemClock */
  clock?: Clock;
  /** Told about every handler exception after it is counted. @default undefined */
  onHandlerError?: (err: unknown, msg: BusMessage) => void;
  /** The deployment prefix naming every subject (`bus.subjects`). @default 'stator' */
  prefix?: string;
}

/** MemoryBusOptions with defaults applied. */
export type ResolvedMemoryBusOptions = Required<
  Omit<MemoryBusOptions, 'onHandlerError' | 'prefix'>
> &
  Pick<MemoryBusOptions, 'onHandlerError'> & { subjects: SubjectSpace };

const numbersSchema = z.object({
  maxPending: z.number().int().min(1).default(DEFAULT_MAX_PENDING),
  requestTimeoutMs: z.number().int().min(1).default(DEFAULT_REQUEST_TIMEOUT_MS),
  deliveryBatch: z.number().int().min(1).default(DEFAULT_DELIVERY_BATCH),
});

/** Merges defaults into `input` and validates it; throws InvalidArgumentError naming the field. */
export function resolveMemoryBusOptions(input: MemoryBusOptions = {}): ResolvedMemoryBusOptions {
  const parsed = numbersSchema.safeParse({
    maxPending: input.maxPending,
    requestTimeoutMs: input.requestTimeoutMs,
    deliveryBatch: input.deliveryBatch,
  });
  if (!parsed.success) {
    throw InvalidArgumentError.format(
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return {
    ...parsed.data,
    clock: input.clock ?? systemClock,
    onHandlerError: input.onHandlerError,
    subjects: subjectSpace(input.prefix),
  };
}

/** The in-process bus; `hasInterest` is always available. */
export interface MemoryBus extends Bus {
  hasInterest(subject: string): boolean;
}

/** One message of one publish, shared by its receivers; `json()` decodes a fresh copy each call. */
class MemoryMessage implements BusMessage {
  constructor(
    readonly subject: string,
    readonly reply: string | undefined,
    private readonly payload: EncodedPayload,
    private readonly bus: InProcessBus,
  ) {}
  get data(): Uint8Array {
    return this.payload.bytes;
  }
  json<T = unknown>(): T {
    return this.payload.json<T>();
  }
  string(): string {
    return this.payload.text;
  }
  respond(payload: unknown): boolean {
    if (this.reply === undefined) return false;
    this.bus.route(this.reply, undefined, payload);
    return true;
  }
}

/** A subscription and its delivery state. */
class Sub implements BusSubscription {
  readonly tokens: string[] | undefined;
  received = 0;
  enqueued = 0;
  pending = 0;
  active = true;
  constructor(
    readonly subject: string,
    readonly queue: string | undefined,
    readonly max: number,
    readonly handler: BusHandler,
    private readonly bus: InProcessBus,
  ) {
    this.tokens = isWildcardPattern(subject) ? subject.split('.') : undefined;
  }
  unsubscribe(): void {
    this.active = false;
    this.bus.unindex(this);
  }
  drain(): Promise<void> {
    // Out of the index, nothing new is enqueued; what is already queued is still delivered.
    this.bus.unindex(this);
    return this.bus.flush();
  }
}

const unavailable = () => new UnavailableError('bus is closed');
const badMax = () =>
  InvalidArgumentError.format([{ path: 'max', message: 'must be an integer >= 1' }]);

class InProcessBus implements MemoryBus {
  readonly kind = 'memory';
  readonly subjects: SubjectSpace;
  readonly #o: ResolvedMemoryBusOptions;
  readonly #stats: BusStats = { published: 0, delivered: 0, dropped: 0, handlerErrors: 0 };
  // Index: exact subjects by map, wildcard patterns in one list.
  readonly #exact = new Map<string, Sub[]>();
  readonly #wildcards: Sub[] = [];
  readonly #matched: Sub[] = [];
  readonly #roundRobin = new Map<string, number>();
  // Delivery FIFO (parallel arrays) and its progress counters.
  #qSubs: (Sub | undefined)[] = [];
  #qMsgs: (MemoryMessage | undefined)[] = [];
  #head = 0;
  #scheduled = false;
  #enqueuedTotal = 0;
  #deliveredTotal = 0;
  #flushWaiters: { target: number; resolve: () => void }[] = [];
  // Requests.
  readonly #nonce = Math.random().toString(36).slice(2, 10);
  #inboxSeq = 0;
  readonly #requests = new Set<(err: Error) => void>();
  #state: 'open' | 'closing' | 'closed' = 'open';
  #closing: Promise<void> | undefined;

  constructor(options: ResolvedMemoryBusOptions) {
    this.#o = options;
    this.subjects = options.subjects;
  }

  publish(subject: string, payload?: unknown, opts?: { reply?: string }): void {
    if (this.#state !== 'open') throw unavailable();
    this.route(subject, opts?.reply, payload);
  }

  /** Publish without the open check: replies may still go out while the bus drains. */
  route(subject: string, reply: string | undefined, payload: unknown): void {
    if (this.#state === 'closed') throw unavailable();
    validateSubject(subject);
    if (reply !== undefined) validateSubject(reply, 'reply');
    this.#stats.published++;
    const exact = this.#exact.get(subject);
    if (exact === undefined && this.#wildcards.length === 0) return;
    const matched = this.#matched;
    matched.length = 0; // a publish that threw while encoding may have left entries
    if (exact !== undefined) for (const sub of exact) matched.push(sub);
    if (this.#wildcards.length > 0) {
      const tokens = subject.split('.');
      for (const sub of this.#wildcards) if (tokensMatch(sub.tokens!, tokens)) matched.push(sub);
    }
    if (matched.length === 0) return;
    const msg = new MemoryMessage(subject, reply, EncodedPayload.from(payload), this);
    let groups: Map<string, Sub[]> | undefined;
    for (const sub of matched) {
      if (sub.queue === undefined) this.#enqueue(sub, msg);
      else {
        groups ??= new Map();
        const members = groups.get(sub.queue);
        if (members === undefined) groups.set(sub.queue, [sub]);
        else members.push(sub);
      }
    }
    matched.length = 0;
    if (groups !== undefined)
      for (const [queue, members] of groups) this.#pick(queue, members, msg);
  }

  subscribe(subject: string, handler: BusHandler, opts: SubscribeOptions = {}): BusSubscription {
    if (this.#state !== 'open') throw unavailable();
    validatePattern(subject);
    if (opts.queue !== undefined) validateSubject(opts.queue, 'queue');
    const max = opts.max ?? Infinity;
    if (max !== Infinity && !(Number.isInteger(max) && max >= 1)) throw badMax();
    const sub = new Sub(subject, opts.queue, max, handler, this);
    if (sub.tokens !== undefined) this.#wildcards.push(sub);
    else {
      const list = this.#exact.get(subject);
      if (list === undefined) this.#exact.set(subject, [sub]);
      else list.push(sub);
    }
    return sub;
  }

  request(subject: string, payload?: unknown, opts: RequestOptions = {}): Promise<BusMessage> {
    if (this.#state !== 'open') return Promise.reject(unavailable());
    try {
      validateSubject(subject);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.hasInterest(subject)) return Promise.reject(new NoRespondersError(subject));
    const timeoutMs = opts.timeoutMs ?? this.#o.requestTimeoutMs;
    const { clock } = this.#o;
    return new Promise<BusMessage>((resolve, reject) => {
      const inbox = inboxSubject(this.#nonce, ++this.#inboxSeq);
      const settle = (err: Error | undefined, msg?: BusMessage) => {
        this.#requests.delete(fail);
        clock.clearTimeout(timer);
        sub.unsubscribe();
        if (err) reject(err);
        else resolve(msg!);
      };
      const fail = (err: Error) => settle(err);
      const sub = this.subscribe(inbox, (msg) => settle(undefined, msg), { max: 1 });
      const timer: TimerHandle = clock.setTimeout(
        () =>
          fail(
            new TimeoutError(`request on '${subject}' timed out after ${timeoutMs} ms`, {
              subject,
              timeoutMs,
            }),
          ),
        timeoutMs,
      );
      this.#requests.add(fail);
      this.route(subject, inbox, payload);
    });
  }

  hasInterest(subject: string): boolean {
    if (this.#exact.has(subject)) return true;
    if (this.#wildcards.length === 0) return false;
    const tokens = subject.split('.');
    return this.#wildcards.some((sub) => tokensMatch(sub.tokens!, tokens));
  }

  flush(): Promise<void> {
    if (this.#deliveredTotal >= this.#enqueuedTotal) return Promise.resolve();
    return new Promise((resolve) => {
      this.#flushWaiters.push({ target: this.#enqueuedTotal, resolve });
    });
  }

  stats(): BusStats {
    return { ...this.#stats };
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#state = 'closing';
    await this.flush();
    this.#state = 'closed';
    for (const fail of [...this.#requests]) fail(new UnavailableError('bus closed during request'));
    for (const list of this.#exact.values()) for (const sub of list) sub.active = false;
    for (const sub of this.#wildcards) sub.active = false;
    this.#exact.clear();
    this.#wildcards.length = 0;
  }

  /** Removes a subscription from the index (it stops matching new publishes). */
  unindex(sub: Sub): void {
    const list = sub.tokens !== undefined ? this.#wildcards : this.#exact.get(sub.subject);
    const at = list === undefined ? -1 : list.indexOf(sub);
    if (at < 0) return;
    list!.splice(at, 1);
    if (list!.length === 0 && sub.tokens === undefined) this.#exact.delete(sub.subject);
  }

  /** Gives `msg` to one member of a queue group, round-robin, skipping members that are full. */
  #pick(queue: string, members: Sub[], msg: MemoryMessage): void {
    const start = this.#roundRobin.get(queue) ?? 0;
    this.#roundRobin.set(queue, (start + 1) % 0x40000000);
    for (let i = 0; i < members.length; i++) {
      const sub = members[(start + i) % members.length]!;
      if (sub.pending < this.#o.maxPending) {
        this.#enqueue(sub, msg);
        return;
      }
    }
    this.#stats.dropped++;
  }

  #enqueue(sub: Sub, msg: MemoryMessage): void {
    if (sub.pending >= this.#o.maxPending) {
      this.#stats.dropped++;
      return;
    }
    sub.pending++;
    if (++sub.enqueued >= sub.max) this.unindex(sub);
    this.#qSubs.push(sub);
    this.#qMsgs.push(msg);
    this.#enqueuedTotal++;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#drain);
    }
  }

  readonly #drain = (): void => {
    const subs = this.#qSubs;
    const msgs = this.#qMsgs;
    // Handlers may publish: their entries are appended and delivered in this turn while the
    // batch lasts; past it the rest waits for the next macrotask so timers and I/O still run.
    const end = this.#head + this.#o.deliveryBatch;
    while (this.#head < subs.length && this.#head < end) {
      const at = this.#head++;
      const sub = subs[at]!;
      const msg = msgs[at]!;
      subs[at] = undefined;
      msgs[at] = undefined;
      sub.pending--;
      this.#deliveredTotal++;
      if (sub.active) this.#deliver(sub, msg);
    }
    if (this.#head >= subs.length) {
      this.#qSubs = [];
      this.#qMsgs = [];
      this.#head = 0;
      this.#scheduled = false;
    } else {
      if (this.#head * 2 >= subs.length) {
        this.#qSubs = subs.slice(this.#head);
        this.#qMsgs = msgs.slice(this.#head);
        this.#head = 0;
      }
      setImmediate(this.#drain);
    }
    this.#wakeFlushWaiters();
  };

  #deliver(sub: Sub, msg: MemoryMessage): void {
    sub.received++;
    callHandler(sub.handler, msg, this.#stats, this.#o.onHandlerError);
  }

  #wakeFlushWaiters(): void {
    const waiters = this.#flushWaiters;
    let n = 0;
    while (n < waiters.length && waiters[n]!.target <= this.#deliveredTotal)
      waiters[n++]!.resolve();
    if (n > 0) waiters.splice(0, n);
  }
}

/** Creates an in-process bus with NATS semantics. */
export function createMemoryBus(options?: MemoryBusOptions): MemoryBus {
  return new InProcessBus(resolveMemoryBusOptions(options));
}

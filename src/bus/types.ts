/**
 * The bus seam: NATS semantics (subjects with `*`/`>` wildcards, queue groups, request-reply
 * with timeout) behind one interface, implemented in-process (memory-bus.ts) and on NATS.
 * Payloads are JSON values; the codec turns them into bytes where a wire exists.
 * @module
 */
import type { SubjectSpace } from './subjects.ts';

/** One received message. */
export interface BusMessage {
  /** The subject it was published on. */
  readonly subject: string;
  /** Reply subject when the publisher expects an answer. */
  readonly reply?: string;
  /** Raw bytes (UTF-8 JSON for everything Stator publishes). */
  readonly data: Uint8Array;
  /** Decodes the payload as JSON; throws MalformedPayloadError on bad JSON. */
  json<T = unknown>(): T;
  /** Decodes the payload as UTF-8 text. */
  string(): string;
  /** Publishes `payload` to `reply`; returns false when the message has no reply subject. */
  respond(payload: unknown): boolean;
}

/** Called for every message on a subscription; exceptions are caught and counted by the bus. */
export type BusHandler = (msg: BusMessage) => void;

/** Options of a subscription. */
export interface SubscribeOptions {
  /** Queue group: each message goes to one member of the group only. */
  queue?: string;
  /** Unsubscribe automatically after this many messages. */
  max?: number;
}

/** Options of a request. */
export interface RequestOptions {
  /** @default 5000 */
  timeoutMs?: number;
}

/** A live subscription. */
export interface BusSubscription {
  readonly subject: string;
  /** Stops delivery; idempotent. */
  unsubscribe(): void;
  /**
   * Stops matching new messages at once but still delivers those already on their way (a
   * request published just before would otherwise wait for its timeout instead of being
   * answered or told "no responders"); resolves once they are delivered. Idempotent.
   */
  drain?(): Promise<void>;
  /** Messages delivered so far. */
  readonly received: number;
}

/** Counters every bus exposes. */
export interface BusStats {
  published: number;
  delivered: number;
  /** Messages that could not be delivered (handler threw, buffer full while disconnected, ...). */
  dropped: number;
  handlerErrors: number;
}

/** The bus interface. Payloads that are Uint8Array are sent as-is, anything else as JSON. */
export interface Bus {
  /** A name for logs and conformance reports ("memory", "nats"). */
  readonly kind: string;
  /** The names of the deployment this bus serves (its `--nats-prefix`); build every subject here. */
  readonly subjects: SubjectSpace;
  /** Fire-and-forget publish. Never blocks the caller. */
  publish(subject: string, payload?: unknown, opts?: { reply?: string }): void;
  /** Subscribes a handler to a subject or wildcard pattern. */
  subscribe(subject: string, handler: BusHandler, opts?: SubscribeOptions): BusSubscription;
  /**
   * Sends a request and waits for the first reply. Rejects with TimeoutError after
   * `timeoutMs` and with NoRespondersError at once when nobody is subscribed.
   */
  request(subject: string, payload?: unknown, opts?: RequestOptions): Promise<BusMessage>;
  /** True when at least one local subscription matches (for cheap skipping of publishes). */
  hasInterest?(subject: string): boolean;
  /** Resolves when everything published so far has reached the server (memory: delivered). */
  flush(): Promise<void>;
  /** Counters since start. */
  stats(): BusStats;
  /** Drains and closes; later calls throw UnavailableError. Idempotent. */
  close(): Promise<void>;
}

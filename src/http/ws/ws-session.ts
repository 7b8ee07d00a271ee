/**
 * One WebSocket client of the monitor (protocol in ws-protocol.ts), independent of the socket
 * library: it holds the client's subscriptions, answers its messages and sends events. Sending
 * is paced by the socket's `bufferedAmount`: past the limit, the subscription waits for the
 * socket to flush, its monitor buffer fills meanwhile, and further events are lost there
 * (counted per subscriber and in the monitor's total, announced with `dropped`).
 * @module
 */
import type { Logger } from 'pino';
import type { StampedEvent } from '../../events.ts';
import { ConflictError, NotFoundError, StatorError, toWire } from '../../errors.ts';
import type { EventFilter, EventGap, EventSubscription, Stator } from '../../runtime/index.ts';
import { eventJson } from '../../monitor/index.ts';
import { parseClientMessage, WS_PROTOCOL_VERSION, type ServerMessage } from './ws-protocol.ts';

/** The part of a WebSocket the session uses (`ws`'s WebSocket has it). */
export interface WsSocket {
  send(data: string, cb?: (err?: Error) => void): void;
  readonly bufferedAmount: number;
}

/** Limits of one session. */
export interface WsSessionOptions {
  /** Events buffered per subscription in the monitor before it loses them. */
  bufferSize: number;
  /** Bytes the socket may hold unsent before event sending waits. */
  maxBufferedBytes: number;
  /** Subscriptions one socket may hold. */
  maxSubscriptions: number;
  logger?: Logger | undefined;
}

interface Subscription {
  sub: EventSubscription;
  filter: EventFilter;
  reported: number;
}

/** The server side of one WebSocket client. */
export class WsSession {
  readonly #subs = new Map<string, Subscription>();
  readonly #waiters = new Set<() => void>();
  #closed = false;

  constructor(
    private readonly stator: Stator,
    private readonly socket: WsSocket,
    private readonly opts: WsSessionOptions,
  ) {}

  /** Subscriptions held now. */
  get subscriptions(): number {
    return this.#subs.size;
  }

  /** Greets the client. */
  open(): void {
    this.#send({
      type: 'connected',
      protocol: WS_PROTOCOL_VERSION,
      maxSubscriptions: this.opts.maxSubscriptions,
    });
  }

  /** Handles one text frame; a bad one gets an `error` reply and changes nothing. */
  handle(text: string): void {
    if (this.#closed) return;
    try {
      const msg = parseClientMessage(text);
      if (msg.type === 'ping') {
        this.#send(msg.ref === undefined ? { type: 'pong' } : { type: 'pong', ref: msg.ref });
      } else if (msg.type === 'subscribe') {
        this.#subscribe(msg.key, msg.filter, msg.since);
      } else if (msg.all) {
        for (const key of [...this.#subs.keys()]) this.#unsubscribe(key);
      } else {
        if (!this.#subs.has(msg.key)) throw new NotFoundError('subscription', msg.key);
        this.#unsubscribe(msg.key);
      }
    } catch (err) {
      this.error(err);
    }
  }

  /** Replies with an `error` message. */
  error(err: unknown): void {
    const wire =
      err instanceof StatorError
        ? toWire(err)
        : { code: 'internal' as const, message: 'internal error', recoverable: false };
    this.#send({ type: 'error', error: wire });
  }

  /** Ends every subscription (the socket closed). */
  close(): void {
    this.#closed = true;
    for (const { sub } of this.#subs.values()) sub.unsubscribe();
    this.#subs.clear();
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  #subscribe(key: string, filter: EventFilter, since?: number): void {
    const existing = this.#subs.get(key);
    if (!existing && this.#subs.size >= this.opts.maxSubscriptions) {
      throw new ConflictError(`at most ${this.opts.maxSubscriptions} subscriptions per socket`, {
        maxSubscriptions: this.opts.maxSubscriptions,
      });
    }
    // `subscribed` goes out before any event of the subscription.
    this.#send({ type: 'subscribed', subscription: key, filter });
    if (existing) return;
    const entry = { filter, reported: 0 } as Subscription;
    const onGap = (gap: EventGap) => this.#sendPaced({ type: 'gap', subscription: key, ...gap });
    entry.sub = this.stator.subscribe((event) => this.#event(key, entry, event), {
      filter,
      bufferSize: this.opts.bufferSize,
      name: 'ws',
      ...(since !== undefined && { since, onGap }),
    });
    this.#subs.set(key, entry);
  }

  #unsubscribe(key: string): void {
    const entry = this.#subs.get(key);
    if (!entry) return;
    entry.sub.unsubscribe();
    this.#subs.delete(key);
    this.#send({ type: 'unsubscribed', subscription: key, filter: entry.filter });
  }

  #event(key: string, entry: Subscription, event: StampedEvent): Promise<void> | undefined {
    if (this.#closed) return undefined;
    const lost = entry.sub.dropped();
    if (lost > entry.reported) {
      entry.reported = lost;
      this.#send({ type: 'dropped', subscription: key, dropped: lost });
    }
    // The event's JSON is shared by every subscriber; only the envelope is built here.
    return this.#sendPaced(
      `{"type":"event","subscription":${JSON.stringify(key)},"event":${eventJson(event)}}`,
    );
  }

  /** Sends at once, or, past the buffer limit, sends and waits until the socket flushed. */
  #sendPaced(msg: ServerMessage | string): Promise<void> | undefined {
    if (this.#closed) return undefined;
    const text = typeof msg === 'string' ? msg : JSON.stringify(msg);
    if (this.socket.bufferedAmount < this.opts.maxBufferedBytes) {
      this.#write(text);
      return undefined;
    }
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        this.#waiters.delete(wake);
        resolve();
      };
      this.#waiters.add(wake);
      this.#write(text, wake);
    });
  }

  #send(msg: ServerMessage): void {
    if (!this.#closed) this.#write(JSON.stringify(msg));
  }

  #write(text: string, done?: () => void): void {
    try {
      this.socket.send(text, done && (() => done()));
    } catch (err) {
      this.opts.logger?.debug({ err }, 'websocket send failed');
      done?.();
    }
  }
}

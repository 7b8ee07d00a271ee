/**
 * The ordered retry queue behind the outbox store: writes that failed because the store was
 * unreachable wait here, oldest first, and one loop retries the oldest until the store takes
 * it, backing off while it keeps failing. A write that a later one on the same record has made
 * pointless (see `Pending.superseded`) is settled without being sent; a write refused for any
 * other reason than unreachability is settled with that refusal and the loop goes on.
 * @module
 */
import { UnavailableError } from '../../errors.ts';
import { isUnreachable } from './unreachable.ts';

/** A write waiting for the store. */
export interface Pending {
  /** What it writes, for logs (`putStep <execution>/<step>`). */
  label: string;
  /** Sends the write once more; rejects as the store does. */
  send(): Promise<void>;
  /** True when later writes already cover everything this one writes: it resolves unsent. */
  superseded(): boolean;
  resolve(): void;
  reject(err: unknown): void;
}

/** What the queue reports about itself. */
export interface RetryQueueStatus {
  /** Writes waiting. */
  pending: number;
  /** Since when the oldest write has been failing (ms since epoch); null when none is. */
  failingSince: number | null;
  /** The last unreachability error's message. */
  lastError: string | null;
  /** Writes refused because the queue was full, since start. */
  refused: number;
}

/** Timing of the retry loop. */
export interface RetryQueueOptions {
  /** Writes waiting at most; more are refused as `unavailable`. */
  limit: number;
  /** First wait between retries; doubles up to `maxDelayMs`. */
  minDelayMs: number;
  maxDelayMs: number;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Called when the queue starts failing and when it is empty again. */
  onChange?(status: RetryQueueStatus): void;
}

/** FIFO of failed writes, retried in order by one loop. */
export class RetryQueue {
  readonly #items: Pending[] = [];
  #running = false;
  #closed = false;
  #closeReason: unknown;
  #failingSince: number | null = null;
  #lastError: string | null = null;
  #refused = 0;

  constructor(private readonly opts: RetryQueueOptions) {}

  status(): RetryQueueStatus {
    return {
      pending: this.#items.length,
      failingSince: this.#failingSince,
      lastError: this.#lastError,
      refused: this.#refused,
    };
  }

  /** Queues a write that just failed with `cause` (an unreachability error). */
  add(item: Pending, cause: unknown): void {
    if (this.#closed) {
      item.reject(this.#closeReason ?? cause);
      return;
    }
    if (this.#items.length >= this.opts.limit) {
      this.#refused++;
      item.reject(
        new UnavailableError(
          `store unreachable and ${this.opts.limit} writes already wait for it`,
          cause,
        ),
      );
      return;
    }
    this.#items.push(item);
    this.#failed(cause);
    if (!this.#running) void this.#run();
  }

  /** Stops retrying: every waiting write is rejected with `reason`. */
  close(reason: unknown): void {
    this.#closed = true;
    this.#closeReason = reason;
    for (const item of this.#items.splice(0)) item.reject(reason);
    this.#recovered();
  }

  async #run(): Promise<void> {
    this.#running = true;
    let delay = this.opts.minDelayMs;
    try {
      while (!this.#closed && this.#items.length > 0) {
        const head = this.#items[0]!;
        if (head.superseded()) {
          this.#items.shift();
          head.resolve();
          continue;
        }
        try {
          await head.send();
          if (this.#items[0] === head) this.#items.shift();
          head.resolve();
          delay = this.opts.minDelayMs;
        } catch (err) {
          if (this.#closed) return;
          if (!isUnreachable(err)) {
            if (this.#items[0] === head) this.#items.shift();
            head.reject(err);
            continue;
          }
          this.#failed(err);
          await this.opts.sleep(delay);
          delay = Math.min(delay * 2, this.opts.maxDelayMs);
        }
      }
      this.#recovered();
    } finally {
      this.#running = false;
    }
  }

  #failed(err: unknown): void {
    this.#lastError = err instanceof Error ? err.message : String(err);
    if (this.#failingSince !== null) return;
    this.#failingSince = this.opts.now();
    this.opts.onChange?.(this.status());
  }

  #recovered(): void {
    if (this.#failingSince === null) return;
    this.#failingSince = null;
    this.opts.onChange?.(this.status());
  }
}

/**
 * One subscriber's side of the monitor: the events the monitor machine decided to deliver wait
 * here (at most the subscriber's capacity: the machine drops the rest and counts them) and are
 * handed to the listener on a turn of the event loop of their own, never inside an actor's
 * transition. A replay (resume) goes first. A listener that returns a promise is awaited before
 * the next event, which is how a slow socket paces its own subscriber and nobody else's.
 * @module
 */
import type { Logger } from 'pino';
import type { StampedEvent } from '../events.ts';
// eslint-disable-next-line no-restricted-imports -- cycle: runtime/index.ts imports this module
import type { EventGap, EventListener } from '../runtime/types.ts';
import type { ReplayItem } from './event-history.ts';

/** How the sink talks back to the hub. */
export interface SinkHooks {
  /** The listener consumed `count` live events: the machine may deliver that many more. */
  drained(id: string, count: number): void;
  logger: Logger;
}

/** Buffered events of one subscriber, delivered in order on their own turn. */
export class SubscriberSink {
  #queue: (StampedEvent | undefined)[] = [];
  #head = 0;
  #replay: AsyncIterable<ReplayItem> | undefined;
  /** Live events at or below this sequence number were seen by the client already (a resume). */
  #floor: { seq: number } | undefined;
  #running = false;
  #closed = false;
  #unreported = 0;
  /** Live events consumed, reported to the machine in batches of this size. */
  readonly #reportEvery: number;

  constructor(
    readonly id: string,
    private readonly listener: EventListener,
    capacity: number,
    private readonly hooks: SinkHooks,
    private readonly onGap?: (gap: EventGap) => void | Promise<void>,
  ) {
    // Reporting every event would cost one machine event per delivery; a small batch keeps the
    // machine's view of this buffer at most 1/8 of its capacity above the truth.
    this.#reportEvery = Math.max(1, Math.min(64, Math.floor(capacity / 8)));
  }

  /** Events waiting for the listener. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Replays these items before any live event; call before the first push. Live events with
   * `seq <= floor.seq` are skipped (read once the replay is over, which may move it).
   */
  replay(items: AsyncIterable<ReplayItem>, floor?: { seq: number }): void {
    this.#replay = items;
    this.#floor = floor;
    this.#schedule();
  }

  /** Takes one live event the machine delivered. */
  push(event: StampedEvent): void {
    if (this.#closed) return;
    this.#queue.push(event);
    this.#schedule();
  }

  /** Hands what is buffered to the listener now, without waiting (shutdown). */
  flushNow(): void {
    while (!this.#closed && this.#head < this.#queue.length) {
      const event = this.#take();
      const result = this.#call(event);
      result?.catch(() => {});
    }
  }

  /** Stops delivery and forgets the buffer. */
  close(): void {
    this.#closed = true;
    this.#queue = [];
    this.#head = 0;
  }

  #schedule(): void {
    if (this.#running || this.#closed) return;
    this.#running = true;
    setImmediate(() => void this.#run());
  }

  async #run(): Promise<void> {
    try {
      if (this.#replay) {
        const items = this.#replay;
        this.#replay = undefined;
        await this.#runReplay(items);
      }
      while (!this.#closed && this.#head < this.#queue.length) {
        const event = this.#take();
        const result = this.#seen(event) ? undefined : this.#call(event);
        if (++this.#unreported >= this.#reportEvery) this.#report();
        if (result) await result.catch((err: unknown) => this.#warn(err));
      }
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
    } finally {
      this.#running = false;
      if (!this.#closed && (this.#head < this.#queue.length || this.#replay)) this.#schedule();
    }
  }

  async #runReplay(items: AsyncIterable<ReplayItem>): Promise<void> {
    try {
      for await (const item of items) {
        if (this.#closed) return;
        const result = item.kind === 'gap' ? this.#gap(item.gap) : this.#call(item.event);
        if (result) await result.catch((err: unknown) => this.#warn(err));
      }
    } catch (err) {
      this.hooks.logger.warn({ err, subscriber: this.id }, 'event replay failed');
    }
  }

  #seen(event: StampedEvent): boolean {
    if (!this.#floor) return false;
    if (event.seq > this.#floor.seq) {
      this.#floor = undefined; // Numbers only grow: nothing after this one can be at or below.
      return false;
    }
    return true;
  }

  #take(): StampedEvent {
    const event = this.#queue[this.#head]!;
    this.#queue[this.#head++] = undefined;
    // Compact now and then so a subscriber that is always a little behind does not grow.
    if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return event;
  }

  #call(event: StampedEvent): Promise<void> | undefined {
    try {
      const result = this.listener(event);
      return result instanceof Promise ? (result as Promise<void>) : undefined;
    } catch (err) {
      this.#warn(err);
      return undefined;
    }
  }

  #gap(gap: EventGap): Promise<void> | undefined {
    try {
      const result = this.onGap?.(gap);
      return result instanceof Promise ? result : undefined;
    } catch (err) {
      this.#warn(err);
      return undefined;
    }
  }

  #report(): void {
    const count = this.#unreported;
    this.#unreported = 0;
    if (count > 0 && !this.#closed) this.hooks.drained(this.id, count);
  }

  #warn(err: unknown): void {
    this.hooks.logger.warn({ err, subscriber: this.id }, 'event listener threw');
  }
}

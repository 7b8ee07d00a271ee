/**
 * The monitor's memory of recent events: a fixed-size ring of the last N published events, in
 * sequence order, so that a client that reconnects with the last sequence number it saw
 * (SSE `Last-Event-ID`, `subscribe({ since })`) gets exactly what it missed. Older events are
 * overwritten; a resume from before the ring's start reports how many may be lost.
 * @module
 */
import type { StampedEvent } from '../events.ts';
// eslint-disable-next-line no-restricted-imports -- cycle: runtime/index.ts imports this module
import type { EventFilter } from '../runtime/types.ts';
import { matchesFilter } from '../../machines/event-filter.ts';

/** Capacity of a RecentEvents ring, and default of `MonitorHubOptions.recentEvents`. */
export const DEFAULT_RECENT_EVENTS = 10_000;

/** What a resume from `since` finds in the ring. */
export interface RecentSlice {
  /** Matching events with `seq > since`, oldest first. */
  events: StampedEvent[];
  /** Sequence number of the oldest event the ring still holds (0 when empty). */
  firstSeq: number;
  /** Sequence number of the newest event recorded (0 before the first). */
  lastSeq: number;
}

/** A bounded ring of published events, ordered by sequence number. */
export class RecentEvents {
  readonly #ring: (StampedEvent | undefined)[];
  #next = 0;
  #size = 0;
  #lastSeq = 0;

  constructor(readonly capacity: number = DEFAULT_RECENT_EVENTS) {
    this.#ring = new Array<StampedEvent | undefined>(Math.max(0, capacity));
  }

  /** Events held now. */
  get size(): number {
    return this.#size;
  }

  /** Sequence number of the newest recorded event (0 before the first). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Sequence number of the oldest held event (0 when empty). */
  get firstSeq(): number {
    return this.#size === 0 ? 0 : this.#at(0).seq;
  }

  /**
   * Numbers start after `seq`: the events up to it were published before this ring existed (the
   * event stream's, in cluster mode). Only while the ring is empty.
   */
  startAfter(seq: number): void {
    if (this.#size === 0 && seq > this.#lastSeq) this.#lastSeq = seq;
  }

  /** Records a published event; returns the one it overwrote, if any. */
  record(event: StampedEvent): StampedEvent | undefined {
    this.#lastSeq = event.seq;
    if (this.capacity === 0) return event;
    const evicted = this.#size === this.capacity ? this.#ring[this.#next] : undefined;
    this.#ring[this.#next] = event;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
    return evicted;
  }

  /** Matching events newer than `since`, oldest first, with the ring's bounds. */
  since(since: number, filter: EventFilter = {}): RecentSlice {
    const events: StampedEvent[] = [];
    for (let i = this.#firstAfter(since); i < this.#size; i++) {
      const event = this.#at(i);
      if (matchesFilter(filter, event)) events.push(event);
    }
    return { events, firstSeq: this.firstSeq, lastSeq: this.#lastSeq };
  }

  /** The i-th held event, 0 being the oldest. */
  #at(i: number): StampedEvent {
    const start = this.#size < this.capacity ? 0 : this.#next;
    return this.#ring[(start + i) % this.capacity]!;
  }

  /** Index of the first held event with `seq > since` (binary search: seqs only grow). */
  #firstAfter(since: number): number {
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#at(mid).seq <= since) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

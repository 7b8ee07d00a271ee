/**
 * The work queue seam: execution requests waiting for an engine slot. In process, a bounded
 * FIFO; in cluster mode, a JetStream work-queue stream pulled by free slots.
 * @module
 */
import { UnavailableError } from '../errors.ts';

/** One queued execution request. */
export interface WorkItem {
  executionId: string;
}

/** The work queue interface. */
export interface WorkQueue {
  /** Adds an item; throws UnavailableError when full. */
  push(item: WorkItem): void;
  /** Takes the oldest item, if any. */
  take(): WorkItem | undefined;
  /** Puts an item back at the head (an engine refused it). */
  putBack(item: WorkItem): void;
  /** Removes a queued item; true when it was queued. */
  remove(executionId: string): boolean;
  readonly size: number;
}

/** A bounded in-process FIFO with O(1) push/take and O(1) removal by tombstone. */
export class MemoryWorkQueue implements WorkQueue {
  #items: (WorkItem | undefined)[] = [];
  #head = 0;
  #size = 0;
  readonly #index = new Map<string, number>();

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.#size;
  }

  push(item: WorkItem): void {
    if (this.#size >= this.limit) {
      throw new UnavailableError(`work queue is full (${this.limit} executions waiting)`);
    }
    this.#index.set(item.executionId, this.#items.length);
    this.#items.push(item);
    this.#size++;
  }

  take(): WorkItem | undefined {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head++];
      if (item) {
        this.#index.delete(item.executionId);
        this.#size--;
        this.#compact();
        return item;
      }
    }
    return undefined;
  }

  putBack(item: WorkItem): void {
    // Rare (an engine refused work): rebuild with the item first.
    const rest = this.#items.slice(this.#head).filter((x): x is WorkItem => x !== undefined);
    this.#items = [item, ...rest];
    this.#head = 0;
    this.#size = this.#items.length;
    this.#index.clear();
    this.#items.forEach((x, i) => this.#index.set(x!.executionId, i));
  }

  remove(executionId: string): boolean {
    const at = this.#index.get(executionId);
    if (at === undefined) return false;
    this.#items[at] = undefined;
    this.#index.delete(executionId);
    this.#size--;
    return true;
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
      this.#index.clear();
      this.#items.forEach((x, i) => x && this.#index.set(x.executionId, i));
    }
  }
}

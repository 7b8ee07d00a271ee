/**
 * One lane of the in-process work queue: a FIFO of items of one priority with O(1) push at
 * either end, O(1) take and O(1) removal by tombstone.
 * @module
 */
import type { WorkItem } from './types.ts';

/** A FIFO of work items indexed by execution id. */
export class FifoLane {
  #items: (WorkItem | undefined)[] = [];
  #head = 0;
  #size = 0;
  readonly #index = new Map<string, number>();

  get size(): number {
    return this.#size;
  }

  has(executionId: string): boolean {
    return this.#index.has(executionId);
  }

  /** Adds at the back, or at the front (an item given back). */
  add(item: WorkItem, front: boolean): void {
    if (front && this.#head > 0) {
      this.#items[--this.#head] = item;
      this.#index.set(item.executionId, this.#head);
    } else if (front) {
      this.#items.unshift(item);
      this.#reindex();
    } else {
      this.#index.set(item.executionId, this.#items.length);
      this.#items.push(item);
    }
    this.#size++;
  }

  /** Removes an item by id; the item, or undefined when it is not here. */
  remove(executionId: string): WorkItem | undefined {
    const at = this.#index.get(executionId);
    if (at === undefined) return undefined;
    const item = this.#items[at];
    this.#items[at] = undefined;
    this.#index.delete(executionId);
    this.#size--;
    return item;
  }

  /** Takes the oldest item. */
  take(): WorkItem | undefined {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head];
      this.#items[this.#head++] = undefined;
      if (item) {
        this.#index.delete(item.executionId);
        this.#size--;
        if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
          this.#items = this.#items.slice(this.#head);
          this.#head = 0;
          this.#reindex();
        }
        return item;
      }
    }
    return undefined;
  }

  #reindex(): void {
    this.#index.clear();
    this.#items.forEach((x, i) => x && this.#index.set(x.executionId, i));
  }
}

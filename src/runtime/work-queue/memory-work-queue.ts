/**
 * The in-process work queue (embedded mode): a bounded FIFO the dispatcher consumes.
 * @module
 */
import { QueueFullError } from '../../errors.ts';
import type { WorkConsumer, WorkItem, WorkLease, WorkQueue } from './types.ts';

const NO_LEASE: WorkLease = { done() {}, release() {}, touch() {} };

/** How long a client refused by a full in-process queue is told to wait. */
const FULL_RETRY_AFTER_MS = 1000;

/**
 * A bounded in-process FIFO with O(1) push/take, O(1) removal by tombstone and an O(1) count
 * per workflow.
 */
export class MemoryWorkQueue implements WorkQueue {
  readonly kind = 'memory';
  readonly shared = false;
  #items: (WorkItem | undefined)[] = [];
  #head = 0;
  #size = 0;
  readonly #index = new Map<string, number>();
  readonly #perWorkflow = new Map<string, number>();
  #consumer: WorkConsumer | undefined;
  #delivering = false;
  #closed = false;

  constructor(private readonly limit: number) {}

  size(): number {
    return this.#size;
  }

  sizeOf(workflowId: string): number {
    return this.#perWorkflow.get(workflowId) ?? 0;
  }

  async push(item: WorkItem, opts: { overLimit?: boolean } = {}): Promise<void> {
    this.#add(item, false, opts.overLimit === true);
    // Deliver on the next turn: `execute()` answers without waiting for the run's first spawn.
    this.#pokeSoon();
  }

  #pokeScheduled = false;

  #pokeSoon(): void {
    if (this.#pokeScheduled) return;
    this.#pokeScheduled = true;
    setImmediate(() => {
      this.#pokeScheduled = false;
      this.poke();
    });
  }

  start(consumer: WorkConsumer): void {
    this.#consumer = consumer;
    this.poke();
  }

  poke(): void {
    const consumer = this.#consumer;
    if (!consumer || this.#delivering || this.#closed) return;
    this.#delivering = true;
    try {
      while (this.#size > 0 && consumer.capacity() > 0) {
        const item = this.#take();
        if (!item) break;
        consumer.take(item, {
          ...NO_LEASE,
          release: () => {
            if (this.#closed) return;
            this.#add(item, true);
            queueMicrotask(() => this.poke());
          },
        });
      }
    } finally {
      this.#delivering = false;
    }
  }

  remove(executionId: string): boolean {
    const at = this.#index.get(executionId);
    if (at === undefined) return false;
    this.#count(this.#items[at], -1);
    this.#items[at] = undefined;
    this.#index.delete(executionId);
    this.#size--;
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#consumer = undefined;
  }

  #add(item: WorkItem, front = false, overLimit = false): void {
    // Admission is checked before a run is recorded (execution-service.ts); this is the last guard.
    if (!front && !overLimit && this.#size >= this.limit) {
      throw new QueueFullError({
        scope: 'node',
        limit: this.limit,
        retryAfterMs: FULL_RETRY_AFTER_MS,
      });
    }
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
    this.#count(item, 1);
  }

  #count(item: WorkItem | undefined, delta: 1 | -1): void {
    const workflowId = item?.workflowId;
    if (workflowId === undefined) return;
    const n = (this.#perWorkflow.get(workflowId) ?? 0) + delta;
    if (n > 0) this.#perWorkflow.set(workflowId, n);
    else this.#perWorkflow.delete(workflowId);
  }

  #take(): WorkItem | undefined {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head];
      this.#items[this.#head++] = undefined;
      if (item) {
        this.#index.delete(item.executionId);
        this.#size--;
        this.#count(item, -1);
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

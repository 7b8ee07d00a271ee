/**
 * The in-process work queue (embedded mode): a bounded queue the dispatcher consumes, one FIFO
 * lane per priority (fifo-lane.ts), higher priorities first.
 * @module
 */
import { QueueFullError } from '../../errors.ts';
import { FifoLane } from './fifo-lane.ts';
import { laneOf, PRIORITIES } from './priority.ts';
import type { WorkConsumer, WorkItem, WorkLease, WorkQueue } from './types.ts';

const NO_LEASE: WorkLease = { done() {}, release() {}, touch() {} };

/** How long a client refused by a full in-process queue is told to wait. */
const FULL_RETRY_AFTER_MS = 1000;

/**
 * A bounded in-process queue of five FIFO lanes with O(1) push/take, O(1) removal by tombstone
 * and an O(1) count per workflow.
 */
export class MemoryWorkQueue implements WorkQueue {
  readonly kind = 'memory';
  readonly shared = false;
  /** One FIFO per priority, highest first. */
  readonly #lanes = PRIORITIES.map(() => new FifoLane());
  #size = 0;
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
    for (const lane of this.#lanes) {
      const item = lane.remove(executionId);
      if (!item) continue;
      this.#count(item, -1);
      this.#size--;
      return true;
    }
    return false;
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
    this.#lanes[laneOf(item.priority)]!.add(item, front);
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

  /** The oldest item of the highest priority that has one (five lanes: O(1)). */
  #take(): WorkItem | undefined {
    for (const lane of this.#lanes) {
      if (lane.size === 0) continue;
      const item = lane.take();
      if (!item) continue;
      this.#size--;
      this.#count(item, -1);
      return item;
    }
    return undefined;
  }
}

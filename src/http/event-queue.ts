/**
 * A bounded queue between a monitor subscription (push, never blocks) and one slow writer
 * (an SSE stream). When full it drops the newest event and counts it.
 * @module
 */
import type { StampedEvent } from '../events.ts';

/** What the writer takes next. */
export type QueueItem =
  { kind: 'event'; event: StampedEvent } | { kind: 'heartbeat' } | { kind: 'closed' };

/** Bounded single-consumer queue of stamped events with heartbeat and close signals. */
export class EventQueue {
  readonly capacity: number;
  private items: StampedEvent[] = [];
  private waiter: (() => void) | undefined;
  private beat = false;
  private closedFlag = false;
  private droppedCount = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Enqueues an event; drops and counts it when the queue is full. Never throws. */
  readonly push = (event: StampedEvent): void => {
    if (this.closedFlag) return;
    if (this.items.length >= this.capacity) {
      this.droppedCount++;
      return;
    }
    this.items.push(event);
    this.wake();
  };

  /** Asks the writer for a heartbeat once it is idle. */
  heartbeat(): void {
    this.beat = true;
    this.wake();
  }

  /** Ends the queue: the writer gets `closed` at its next take. */
  close(): void {
    this.closedFlag = true;
    this.items = [];
    this.wake();
  }

  /** True once closed. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Events dropped because the queue was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Waits for the next event, heartbeat or close; events go before heartbeats. */
  async take(): Promise<QueueItem> {
    for (;;) {
      if (this.closedFlag) return { kind: 'closed' };
      const event = this.items.shift();
      if (event) return { kind: 'event', event };
      if (this.beat) {
        this.beat = false;
        return { kind: 'heartbeat' };
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

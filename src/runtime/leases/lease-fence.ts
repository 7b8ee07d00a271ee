/**
 * The fence between a node's runs and the store: what a run emits (step outcomes, output lines)
 * reaches the event pipeline only while this node holds the run's lease. While the lease is
 * `uncertain` (the node has not heard its last beat answered in time: a stalled event loop,
 * SIGSTOP, NATS unreachable) the events wait here in order, and the next beat decides: passed
 * on if the lease held, dropped if another node took the run over, so a stale copy never writes.
 * Bounded: past MAX_HELD_EVENTS waiting, output lines are dropped (counted), never outcomes.
 * @module
 */
import type { Logger } from 'pino';
import type { ExecutionEvent } from '../../events.ts';
import type { LeaseManager } from './lease-manager.ts';

/** Events waiting for a beat at most. */
export const MAX_HELD_EVENTS = 50_000;

/** Where fenced events go. */
export interface FencedSink {
  emitExecution(event: ExecutionEvent): void;
}

/** Gates a run's events on its lease. */
export class LeaseFence implements FencedSink {
  #held: ExecutionEvent[] = [];
  #waiting = false;
  #droppedLines = 0;

  constructor(
    private readonly leases: Pick<LeaseManager, 'standing' | 'nextBeat'>,
    private readonly sink: FencedSink,
    private readonly logger: Logger,
  ) {}

  /** Lines dropped because too many events waited for a beat. */
  get droppedLines(): number {
    return this.#droppedLines;
  }

  emitExecution(event: ExecutionEvent): void {
    const standing = this.leases.standing(event.executionId);
    if (standing === 'valid' && this.#held.length === 0) return this.sink.emitExecution(event);
    if (standing === 'lost') return;
    if (this.#held.length >= MAX_HELD_EVENTS && isLine(event)) {
      this.#droppedLines++;
      return;
    }
    this.#held.push(event);
    this.#wait();
  }

  #wait(): void {
    if (this.#waiting) return;
    this.#waiting = true;
    void this.leases.nextBeat().then(() => {
      this.#waiting = false;
      this.#flush();
    });
  }

  /** Passes on what is valid now, in order; stops at the first event still uncertain. */
  #flush(): void {
    const held = this.#held;
    let i = 0;
    let dropped = 0;
    for (; i < held.length; i++) {
      const standing = this.leases.standing(held[i]!.executionId);
      if (standing === 'uncertain') break;
      if (standing === 'valid') this.sink.emitExecution(held[i]!);
      else dropped++;
    }
    this.#held = held.slice(i);
    if (dropped > 0)
      this.logger.warn({ dropped }, 'leases: dropped events of runs lost to another node');
    if (this.#held.length > 0) this.#wait();
  }
}

function isLine(event: ExecutionEvent): boolean {
  return event.type === 'step.stdout' || event.type === 'step.stderr';
}

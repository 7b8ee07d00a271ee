/**
 * In cluster mode the monitor does not fan out this process's events as they are published: it
 * waits for them to come back from the cluster's event stream, numbered there. A run's waiters
 * (`waitForExecution`) must still wake only after in-process subscribers have seen the run's
 * final event, so the monitor notes each final event this process publishes and wakes waiters
 * once the stream has brought back every final noted before they started waiting.
 *
 * Bounded in time: a final the stream does not bring back within `timeoutMs` (no stream, NATS
 * unreachable) stops holding anyone, so an outage delays waiters by that much at most.
 * @module
 */
import { unrefTimer, type Clock, type TimerHandle } from '../clock.ts';

interface Noted {
  ticket: number;
  at: number;
}

interface Waiter {
  ticket: number;
  wake: () => void;
  timer: TimerHandle;
}

/** Final events published here and not yet seen back from the stream, with their waiters. */
export class FinalEchoes {
  /** By execution id, in noting order (so the first entry is the oldest outstanding one). */
  readonly #noted = new Map<string, Noted>();
  readonly #waiters = new Set<Waiter>();
  #ticket = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly clock: Clock,
  ) {}

  /** Finals outstanding now. */
  get size(): number {
    return this.#noted.size;
  }

  /** This process published the final event of `executionId`. */
  note(executionId: string, now = this.clock.now()): void {
    this.#noted.delete(executionId);
    this.#noted.set(executionId, { ticket: ++this.#ticket, at: now });
    // Entries nobody waited for expire here, so an outage leaves no backlog behind.
    for (const [id, n] of this.#noted) {
      if (now - n.at < this.timeoutMs) break;
      this.#noted.delete(id);
    }
  }

  /** The stream brought back the final event of `executionId`. */
  seen(executionId: string): void {
    if (!this.#noted.delete(executionId)) return;
    this.#wakeSettled();
  }

  /** Resolves once every final noted so far was seen (or timed out); undefined if none is out. */
  wait(): Promise<void> | undefined {
    if (this.#noted.size === 0) return undefined;
    const ticket = this.#ticket;
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        ticket,
        wake: () => {
          this.clock.clearTimeout(waiter.timer);
          this.#waiters.delete(waiter);
          resolve();
        },
        timer: this.clock.setTimeout(() => {
          for (const [id, n] of this.#noted) {
            if (n.ticket > ticket) break;
            this.#noted.delete(id);
          }
          waiter.wake();
          this.#wakeSettled();
        }, this.timeoutMs),
      };
      unrefTimer(waiter.timer);
      this.#waiters.add(waiter);
    });
  }

  /** Wakes every waiter and forgets what is outstanding (shutdown). */
  clear(): void {
    this.#noted.clear();
    for (const w of [...this.#waiters]) w.wake();
  }

  #wakeSettled(): void {
    const oldest = this.#noted.values().next().value?.ticket ?? Number.POSITIVE_INFINITY;
    for (const w of [...this.#waiters]) if (w.ticket < oldest) w.wake();
  }
}

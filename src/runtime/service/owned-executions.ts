/**
 * Which executions this process owns, as their inbound subject says: `stator.execution.<id>.in`
 * is subscribed *before* the adoption reads the run's record and stays subscribed while the run
 * is live here. That order is what makes a cancel of a queued run safe without a lock: a process
 * that finds nobody subscribed after writing `cancelled` knows every later adopter will read
 * that write (see execution-cancel.ts). While an adoption is under way its outcome is kept, so a
 * cancel arriving then waits for it instead of guessing.
 * @module
 */
import type { LiveExecution } from '../live-executions.ts';

/** The inbound subscriptions of executions (the actor router's, for one kind). */
export interface ExecutionInbox {
  own(id: string): void;
  release(id: string): void;
}

/** Executions owned here: adopting or live. */
export class OwnedExecutions {
  readonly #adopting = new Map<string, Promise<LiveExecution | undefined>>();
  readonly #handedBack = new Map<string, Array<() => void>>();

  constructor(private readonly inbox: ExecutionInbox) {}

  /**
   * Runs `adopt` (which reads the record and makes the run live) with the inbound subject
   * subscribed first; released again when nothing became live.
   */
  async adopt(
    id: string,
    adopt: () => Promise<LiveExecution | undefined>,
  ): Promise<LiveExecution | undefined> {
    this.inbox.own(id);
    const adopting = adopt();
    this.#adopting.set(id, adopting);
    let live: LiveExecution | undefined;
    try {
      live = await adopting;
      return live;
    } finally {
      if (this.#adopting.get(id) === adopting) this.#adopting.delete(id);
      if (!live) this.inbox.release(id);
    }
  }

  /** The adoption under way for `id`, if any. */
  adopting(id: string): Promise<LiveExecution | undefined> | undefined {
    return this.#adopting.get(id);
  }

  /** A run became live here by another path than `adopt` (its subject is subscribed). */
  live(id: string): void {
    this.inbox.own(id);
  }

  /** The run left this process: finished, or handed back to the queue without an end. */
  left(id: string, finished = true): void {
    if (!this.#adopting.has(id)) this.inbox.release(id);
    if (finished) return;
    const waiting = this.#handedBack.get(id);
    this.#handedBack.delete(id);
    waiting?.forEach((wake) => wake());
  }

  /**
   * Resolves when the run is next handed back to the queue without an end (an engine refused
   * it, or shutdown abandoned it): a cancel waiting for its end would wait in vain.
   */
  handedBack(id: string): Promise<void> {
    return new Promise((resolve) => {
      const list = this.#handedBack.get(id) ?? [];
      list.push(resolve);
      this.#handedBack.set(id, list);
    });
  }

  /** Stops waiting for `id` to be handed back (its run ended). */
  forgetWaits(id: string): void {
    this.#handedBack.delete(id);
  }
}

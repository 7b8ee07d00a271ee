/**
 * Runs this process knows about and has not finished: their definition and inputs (which step
 * attempts read), the workflow actor once an engine started it, and waiters for their end.
 * @module
 */
import type { Actor } from 'xstate';
import type { executionMachine } from '../../machines/execution.machine.ts';
import type { ResumedStep } from '../../machines/execution-ledger.ts';
import type { ExecutionRecord } from '../store/types.ts';
import type { WorkflowDefinition } from '../workflow/types.ts';

/** One live run. */
export interface LiveExecution {
  record: ExecutionRecord;
  definition: WorkflowDefinition;
  inputs: Record<string, unknown>;
  /** Step states carried over from a previous process. */
  resume?: Record<string, ResumedStep>;
  /** Set once an engine starts it. */
  actor?: Actor<typeof executionMachine>;
  /** Cancel requested before its workflow actor existed. */
  cancelled?: boolean;
}

const MAX_WAITERS_PER_RUN = 64;

/** The registry of live runs, with end-of-run waiters. */
export class LiveExecutions {
  readonly #runs = new Map<string, LiveExecution>();
  readonly #waiters = new Map<string, Array<(record?: ExecutionRecord) => void>>();

  get size(): number {
    return this.#runs.size;
  }

  get(id: string): LiveExecution | undefined {
    return this.#runs.get(id);
  }

  add(run: LiveExecution): void {
    this.#runs.set(run.record.id, run);
  }

  /**
   * Removes a finished run and wakes whoever waits for it, handing each waiter its own copy of
   * the final record when the caller can build one (built only if someone waits).
   */
  finish(id: string, finalRecord?: () => ExecutionRecord | undefined): void {
    this.#runs.delete(id);
    const waiters = this.#waiters.get(id);
    this.#waiters.delete(id);
    for (const w of waiters ?? []) w(finalRecord?.());
  }

  /**
   * Resolves when `finish(id)` is called (the run may not be live yet), with the final record
   * if `finish` was given one.
   */
  waitFor(id: string): Promise<ExecutionRecord | undefined> {
    return new Promise((resolve) => {
      const list = this.#waiters.get(id) ?? [];
      // Bounded: a waiter whose run never finishes here must not pile up without end.
      if (list.length >= MAX_WAITERS_PER_RUN) list.shift()?.();
      list.push(resolve);
      this.#waiters.set(id, list);
    });
  }

  /** Forgets a run without waking waiters (handed back to the queue). */
  drop(id: string): void {
    this.#runs.delete(id);
  }

  /** Every live run. */
  values(): IterableIterator<LiveExecution> {
    return this.#runs.values();
  }
}

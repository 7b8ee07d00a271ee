/**
 * Runs this process knows about and has not finished: their definition and inputs (which step
 * attempts read), the workflow actor once an engine started it, and waiters for their end.
 * Waiters wake once the run's final events have reached the in-process subscribers.
 * @module
 */
import type { Actor } from 'xstate';
import type { executionMachine } from '../../machines/execution.machine.ts';
import type { ResumedStep } from '../../machines/execution-ledger.ts';
import type { ExecutionRecord } from '../store/index.ts';
import type { WorkflowDefinition } from '../workflow/types.ts';
import type { RunSecrets } from '../secrets/index.ts';

/** One live run. */
export interface LiveExecution {
  record: ExecutionRecord;
  definition: WorkflowDefinition;
  inputs: Record<string, unknown>;
  /** Step states carried over from a previous process. */
  resume?: Record<string, ResumedStep>;
  /** Time the run already ran under previous processes (its timeout counts it). */
  elapsedMs?: number;
  /** Set once an engine starts it. */
  actor?: Actor<typeof executionMachine>;
  /** Cancel requested before its workflow actor existed. */
  cancelled?: boolean;
  /** The workflow's secrets, resolved when an engine starts the run (memory only, never stored). */
  secrets?: RunSecrets;
  /**
   * Set while an engine runs it: stops the run here without a final status and frees its slot
   * (another node took it over; see leases/). Its step processes are killed with their actors.
   */
  lose?: () => void;
}

/** Options of the registry. */
export interface LiveExecutionsOptions {
  /**
   * What a finished run's waiters wait for before they wake: the monitor handing the events
   * published so far to in-process subscribers (`MonitorHub.delivered`). Undefined: nothing.
   */
  delivered?: () => Promise<void> | undefined;
  /**
   * Told when a run becomes live here and when it leaves, finished or handed back (its inbound
   * subject follows it).
   */
  owners?: { live(id: string): void; left(id: string, finished: boolean): void };
}

const MAX_WAITERS_PER_RUN = 64;

/** The registry of live runs, with end-of-run waiters. */
export class LiveExecutions {
  readonly #runs = new Map<string, LiveExecution>();
  readonly #waiters = new Map<string, Array<(record?: ExecutionRecord) => void>>();
  /** Finished runs whose waiters wait for the delivery of the final events. */
  readonly #settling = new Map<string, Promise<void>>();

  constructor(private readonly options: LiveExecutionsOptions = {}) {}

  get size(): number {
    return this.#runs.size;
  }

  get(id: string): LiveExecution | undefined {
    return this.#runs.get(id);
  }

  add(run: LiveExecution): void {
    this.#runs.set(run.record.id, run);
    this.options.owners?.live(run.record.id);
  }

  /**
   * Removes a finished run at once (its slot and memory are free) and wakes whoever waits for
   * it once its final events are delivered, handing each waiter its own copy of the final
   * record when the caller can build one (built now, and only if someone waits).
   */
  finish(id: string, finalRecord?: () => ExecutionRecord | undefined): void {
    if (this.#runs.delete(id)) this.options.owners?.left(id, true);
    const waiters = this.#waiters.get(id);
    if (!waiters) return;
    this.#waiters.delete(id);
    const records = waiters.map(() => finalRecord?.());
    const wake = () => waiters.forEach((w, i) => w(records[i]));
    const delivered = this.options.delivered?.();
    if (!delivered) return wake();
    const settled = delivered.then(() => {
      this.#settling.delete(id);
      wake();
    });
    this.#settling.set(id, settled);
  }

  /**
   * While a finished run's waiters wait for its final events to be delivered: resolves when
   * they wake. Undefined otherwise.
   */
  settling(id: string): Promise<void> | undefined {
    return this.#settling.get(id);
  }

  /**
   * Resolves when `finish(id)` is called (the run may not be live yet) and its final events are
   * delivered, with the final record if `finish` was given one.
   */
  waitFor(id: string): Promise<ExecutionRecord | undefined> {
    const settling = this.#settling.get(id);
    if (settling) return settling.then(() => undefined);
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
    if (this.#runs.delete(id)) this.options.owners?.left(id, false);
  }

  /** Every live run. */
  values(): IterableIterator<LiveExecution> {
    return this.#runs.values();
  }
}

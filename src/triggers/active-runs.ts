/**
 * Unfinished runs per workflow, which the overlap policies ask about. Embedded, every run goes
 * through this process's event pipeline: an in-memory index fed by the pipeline's tap (it sees
 * every event and never drops one), seeded from the store at start for runs requeued after a
 * restart. In a cluster, runs of a workflow live on every process, so each question is a store
 * query. Either way, a run's end is announced to listeners (the overlap queues).
 * @module
 */
import type { Logger } from 'pino';
import type { ExecutionEvent, StampedEvent } from '../events.ts';
import type { ExecutionStatus, Store } from '../store/index.ts';

/** Statuses of a run that is still going. */
export const UNFINISHED_STATUSES: readonly ExecutionStatus[] = [
  'pending',
  'running',
  'awaiting_approval',
  'rolling_back',
];

/** Ended runs remembered, so a late `queued` event cannot bring one back. */
const RECENTLY_ENDED = 4096;

const FINAL_TYPES = new Set([
  'execution.completed',
  'execution.failed',
  'execution.cancelled',
  'execution.timed_out',
  'execution.blocked',
]);

/** How unfinished runs are known: an in-process index, or store queries. */
export type ActiveRunsMode = 'index' | 'store';

/** Dependencies of ActiveRuns. */
export interface ActiveRunsDeps {
  store: Pick<Store, 'listExecutions' | 'listUnfinishedExecutions'>;
  mode: ActiveRunsMode;
  logger: Logger;
}

/** Unfinished runs per workflow. */
export class ActiveRuns {
  readonly #index = new Map<string, Set<string>>();
  readonly #listeners: Array<(workflowId: string) => void> = [];
  readonly #ended = new Set<string>();
  /** Runs that ended while the index was being seeded. */
  #endedWhileSeeding: Set<string> | undefined;

  constructor(private readonly deps: ActiveRunsDeps) {}

  /** Seeds the index with the store's unfinished runs (index mode). */
  async start(): Promise<void> {
    if (this.deps.mode !== 'index') return;
    const ended = (this.#endedWhileSeeding = new Set());
    try {
      for (const run of await this.deps.store.listUnfinishedExecutions()) {
        if (!ended.has(run.id)) this.add(run.workflowId, run.id);
      }
    } finally {
      this.#endedWhileSeeding = undefined;
    }
  }

  /** Takes one outbound event (the event pipeline's tap). Cheap for every other event. */
  observe(event: StampedEvent): void {
    if (!event.type.startsWith('execution.')) return;
    const { executionId, workflowId } = event as ExecutionEvent;
    if (FINAL_TYPES.has(event.type)) {
      this.#endedWhileSeeding?.add(executionId);
      this.#ended.add(executionId);
      if (this.#ended.size > RECENTLY_ENDED) {
        this.#ended.delete(this.#ended.values().next().value as string);
      }
      const runs = this.#index.get(workflowId);
      if (runs?.delete(executionId) && runs.size === 0) this.#index.delete(workflowId);
      for (const listener of this.#listeners) listener(workflowId);
    } else if (event.type === 'execution.queued' || event.type === 'execution.started') {
      this.add(workflowId, executionId);
    }
  }

  /** Records a run this process just queued (before its `execution.queued` event arrives). */
  add(workflowId: string, executionId: string): void {
    if (this.deps.mode !== 'index' || this.#ended.has(executionId)) return;
    let runs = this.#index.get(workflowId);
    if (!runs) this.#index.set(workflowId, (runs = new Set()));
    runs.add(executionId);
  }

  /** Ids of the workflow's unfinished runs (in store mode, at most 50 per status). */
  async of(workflowId: string): Promise<string[]> {
    if (this.deps.mode === 'index') return [...(this.#index.get(workflowId) ?? [])];
    const ids: string[] = [];
    for (const status of UNFINISHED_STATUSES) {
      const page = await this.deps.store.listExecutions({ workflowId, status, limit: 50 });
      for (const run of page.items) ids.push(run.id);
    }
    return ids;
  }

  /** Calls `listener` with the workflow id whenever a run ends (seen by this process). */
  onEnded(listener: (workflowId: string) => void): void {
    this.#listeners.push(listener);
  }
}

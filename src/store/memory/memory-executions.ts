/**
 * Executions of the in-memory store: entries in a Map, records copied in and out (JSON fields
 * through JSON, as the durable stores do). putStep and updateExecution are O(1); execution ids
 * are kept sorted for newest-first paging.
 * @module
 */
import { ConflictError, NotFoundError } from '../../errors.ts';
import type { WorkflowDefinition } from '../../workflow/index.ts';
import { decodeCursor, resolvePageLimit, toPage } from '../cursor.ts';
import { planPrune, isPrunable, type FinishedExecution } from '../prune.ts';
import { copyStep, copySummary, jsonCopy } from '../record-copy.ts';
import {
  FINAL_EXECUTION_STATUSES,
  type ExecutionStore,
  type ExecutionSummary,
  type StepRecord,
} from '../roles/index.ts';
import { newLogState, type MemoryLogState } from './memory-logs.ts';

/** One execution as the memory store keeps it. */
export interface ExecutionEntry {
  summary: ExecutionSummary;
  definition: WorkflowDefinition;
  /** Insertion order is definition order; new step ids go last. */
  steps: Map<string, StepRecord>;
  logs: MemoryLogState;
}

/** Index of the first element of sorted `ids` that is >= `id`. */
function lowerBound(ids: string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The executions role of a memory store over `executions` (shared with its logs). */
export function createMemoryExecutions(executions: Map<string, ExecutionEntry>): ExecutionStore {
  /** Execution ids, ascending. */
  const sortedIds: string[] = [];

  const entry = (id: string): ExecutionEntry => {
    const e = executions.get(id);
    if (e === undefined) throw new NotFoundError('execution', id);
    return e;
  };
  const readExecution = (e: ExecutionEntry) => ({
    ...copySummary(e.summary),
    definition: jsonCopy(e.definition),
    steps: Array.from(e.steps.values(), copyStep),
  });

  return {
    async createExecution(rec) {
      if (executions.has(rec.id)) {
        throw new ConflictError(`execution '${rec.id}' already exists`, { id: rec.id });
      }
      const steps = new Map<string, StepRecord>();
      for (const s of rec.steps) steps.set(s.id, copyStep(s));
      executions.set(rec.id, {
        summary: copySummary(rec),
        definition: jsonCopy(rec.definition),
        steps,
        logs: newLogState(),
      });
      const at = lowerBound(sortedIds, rec.id);
      if (at === sortedIds.length) sortedIds.push(rec.id);
      else sortedIds.splice(at, 0, rec.id);
    },

    async updateExecution(id, patch) {
      const s = entry(id).summary;
      if (patch.status !== undefined) s.status = patch.status;
      if (patch.startedAt !== undefined) s.startedAt = patch.startedAt;
      if (patch.finishedAt !== undefined) s.finishedAt = patch.finishedAt;
      if (patch.error !== undefined) s.error = patch.error === null ? null : jsonCopy(patch.error);
      if (patch.engineId !== undefined) s.engineId = patch.engineId;
      if (patch.node !== undefined) s.node = patch.node;
      if (patch.paused === null) delete s.paused;
      else if (patch.paused !== undefined) s.paused = jsonCopy(patch.paused);
      if (patch.waiting === null) delete s.waiting;
      else if (patch.waiting !== undefined) s.waiting = jsonCopy(patch.waiting);
    },

    async putStep(executionId, step) {
      entry(executionId).steps.set(step.id, copyStep(step));
    },

    async getExecution(id) {
      const e = executions.get(id);
      return e === undefined ? undefined : readExecution(e);
    },

    async listExecutions(query = {}) {
      const limit = resolvePageLimit(query.limit);
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const rows: ExecutionSummary[] = [];
      let i = after === undefined ? sortedIds.length - 1 : lowerBound(sortedIds, after) - 1;
      for (; i >= 0 && rows.length <= limit; i--) {
        const s = executions.get(sortedIds[i]!)!.summary;
        if (query.workflowId !== undefined && s.workflowId !== query.workflowId) continue;
        if (query.status !== undefined && s.status !== query.status) continue;
        rows.push(copySummary(s));
      }
      return toPage(rows, limit, (e) => e.id);
    },

    async listUnfinishedExecutions() {
      return sortedIds
        .map((id) => executions.get(id)!)
        .filter((e) => !FINAL_EXECUTION_STATUSES.includes(e.summary.status))
        .map(readExecution);
    },

    // A scan and a sort per call: fine for the store of tests and ephemeral runs. The logs live
    // in the entry, so they go with it.
    async pruneExecutions(query) {
      const finished: FinishedExecution[] = [];
      for (const [id, e] of executions) {
        if (isPrunable(e.summary)) finished.push({ id, finishedAt: e.summary.finishedAt });
      }
      const gone = new Set(planPrune(finished, query).map((f) => f.id));
      if (gone.size === 0) return 0;
      for (const id of gone) executions.delete(id);
      let kept = 0;
      for (const id of sortedIds) if (!gone.has(id)) sortedIds[kept++] = id;
      sortedIds.length = kept;
      return gone.size;
    },
  };
}

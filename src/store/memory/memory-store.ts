/**
 * The in-memory store (tests, ephemeral runs): the SQLite store's semantics in Maps. Records are
 * copied in and out (JSON fields through JSON, as the durable stores do), so callers never share
 * state with the store. putStep and updateExecution are O(1); execution ids are kept sorted for
 * newest-first paging. Trigger states and idempotency claims live in memory-triggers.ts,
 * sessions in memory-sessions.ts.
 * @module
 */
import { copyStep, copySummary, jsonCopy } from './record-copy.ts';
import { ConflictError, InvalidArgumentError, NotFoundError, UnavailableError } from '../errors.ts';
import type { WorkflowDefinition } from '../workflow/types.ts';
import { decodeCursor, resolvePageLimit, toPage } from './cursor.ts';
import { planLogBound, resolveStoreLimits, truncateLine } from './limits.ts';
import { createMemoryTriggers } from './memory-triggers.ts';
import { createMemorySessions } from './memory-sessions.ts';
import {
  FINAL_EXECUTION_STATUSES,
  type ExecutionLogs,
  type ExecutionSummary,
  type LogLine,
  type StepRecord,
  type Store,
  type StoreLimits,
  type WorkflowRecord,
} from './types.ts';

/** Options of the memory store: the store limits. */
export type MemoryStoreOptions = Partial<StoreLimits>;

interface ExecutionEntry {
  summary: ExecutionSummary;
  definition: WorkflowDefinition;
  /** Insertion order is definition order; new step ids go last. */
  steps: Map<string, StepRecord>;
  logs: { seq: number; steps: Map<string, { lines: [number, LogLine][]; dropped: number }> };
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

/** Creates an empty in-memory store. */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const limits = resolveStoreLimits(options);
  const workflows = new Map<string, WorkflowRecord>();
  const executions = new Map<string, ExecutionEntry>();
  /** Execution ids, ascending. */
  const sortedIds: string[] = [];
  let closed = false;

  const open = (): void => {
    if (closed) throw new UnavailableError('store is closed');
  };
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

  const triggers = createMemoryTriggers(open);
  const sessions = createMemorySessions(open);

  return {
    kind: 'memory',
    ...triggers,
    ...sessions,

    async putWorkflow(rec) {
      open();
      const prev = workflows.get(rec.id);
      const copy: WorkflowRecord = {
        id: rec.id,
        definition: jsonCopy(rec.definition),
        version: prev === undefined ? 1 : prev.version + 1,
        createdAt: prev === undefined ? rec.createdAt : prev.createdAt,
        updatedAt: rec.updatedAt,
      };
      if (rec.source != null) copy.source = rec.source;
      workflows.set(rec.id, copy);
    },

    async getWorkflow(id) {
      open();
      const w = workflows.get(id);
      return w === undefined ? undefined : jsonCopy(w);
    },

    async listWorkflows(query = {}) {
      open();
      const limit = resolvePageLimit(query.limit);
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const ids = [...workflows.keys()].sort().filter((id) => after === undefined || id > after);
      const rows = ids.slice(0, limit + 1).map((id) => jsonCopy(workflows.get(id)!));
      return toPage(rows, limit, (w) => w.id);
    },

    async deleteWorkflow(id) {
      open();
      return workflows.delete(id);
    },

    async createExecution(rec) {
      open();
      if (executions.has(rec.id)) {
        throw new ConflictError(`execution '${rec.id}' already exists`, { id: rec.id });
      }
      const steps = new Map<string, StepRecord>();
      for (const s of rec.steps) {
        if (steps.has(s.id)) {
          throw InvalidArgumentError.format([
            { path: 'steps', message: `duplicate step '${s.id}'` },
          ]);
        }
        steps.set(s.id, copyStep(s));
      }
      const logs = { seq: 0, steps: new Map() };
      executions.set(rec.id, {
        summary: copySummary(rec),
        definition: jsonCopy(rec.definition),
        steps,
        logs,
      });
      const at = lowerBound(sortedIds, rec.id);
      if (at === sortedIds.length) sortedIds.push(rec.id);
      else sortedIds.splice(at, 0, rec.id);
    },

    async updateExecution(id, patch) {
      open();
      const s = entry(id).summary;
      if (patch.status !== undefined) s.status = patch.status;
      if (patch.startedAt !== undefined) s.startedAt = patch.startedAt;
      if (patch.finishedAt !== undefined) s.finishedAt = patch.finishedAt;
      if (patch.error !== undefined) s.error = patch.error === null ? null : jsonCopy(patch.error);
      if (patch.engineId !== undefined) s.engineId = patch.engineId;
      if (patch.node !== undefined) s.node = patch.node;
    },

    async putStep(executionId, step) {
      open();
      entry(executionId).steps.set(step.id, copyStep(step));
    },

    async getExecution(id) {
      open();
      const e = executions.get(id);
      return e === undefined ? undefined : readExecution(e);
    },

    async listExecutions(query = {}) {
      open();
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
      open();
      return sortedIds
        .map((id) => executions.get(id)!)
        .filter((e) => !FINAL_EXECUTION_STATUSES.includes(e.summary.status))
        .map(readExecution);
    },

    async appendLogs(executionId, lines) {
      open();
      const logs = entry(executionId).logs;
      const perStep = new Map<string, number>();
      for (const l of lines) perStep.set(l.stepId, (perStep.get(l.stepId) ?? 0) + 1);
      for (const l of lines) {
        let step = logs.steps.get(l.stepId);
        if (step === undefined) logs.steps.set(l.stepId, (step = { lines: [], dropped: 0 }));
        const line: LogLine = {
          stepId: l.stepId,
          stream: l.stream,
          line: truncateLine(l.line, limits.maxLineLength),
          ts: l.ts,
        };
        step.lines.push([logs.seq++, line]);
      }
      for (const [stepId, incoming] of perStep) {
        const step = logs.steps.get(stepId)!;
        const kept = step.lines.length - incoming;
        const plan = planLogBound(kept, incoming, limits.maxLogLinesPerStep);
        const drop = plan.dropStored + plan.skipNew;
        if (drop > 0) {
          step.lines.splice(0, drop);
          step.dropped += drop;
        }
      }
    },

    async getLogs(executionId, opts = {}): Promise<ExecutionLogs> {
      open();
      const logs = executions.get(executionId)?.logs;
      const out: ExecutionLogs = { lines: [], truncated: {} };
      if (logs === undefined) return out;
      const tagged: [number, LogLine][] = [];
      for (const [stepId, step] of logs.steps) {
        if (opts.stepId !== undefined && stepId !== opts.stepId) continue;
        for (const l of step.lines) tagged.push(l);
        if (step.dropped > 0) out.truncated[stepId] = step.dropped;
      }
      tagged.sort((a, b) => a[0] - b[0]);
      out.lines = tagged.map(([, l]) => ({ ...l }));
      return out;
    },

    async close() {
      closed = true;
    },
  };
}

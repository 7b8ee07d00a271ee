/**
 * What every store's `pruneExecutions` shares: checking a PruneQuery once (checkedStore), the
 * test for a finished execution, and the plan for stores that see every finished execution at
 * once (memory, JetStream): order them oldest first and cut where the rules say. The rules cut
 * two prefixes of that order (finished before the instant; all but the newest N), so what goes
 * is the longer prefix, up to the limit. Its length is counted in one pass, and only that many
 * are selected (no sort of the whole history: 100,000 finished runs would hold the event loop
 * for tens of ms). SQLite runs the same plan as two index range queries.
 * @module
 */
import { InvalidArgumentError, type FieldIssue } from '../errors.ts';
import {
  FINAL_EXECUTION_STATUSES,
  MAX_PRUNE_LIMIT,
  type ExecutionSummary,
  type PruneQuery,
} from './roles/index.ts';

/** A finished execution as pruning sees it. */
export interface FinishedExecution {
  id: string;
  finishedAt: string;
}

/** True when pruning may remove the execution: a final status and `finishedAt` set. */
export function isPrunable(
  s: Pick<ExecutionSummary, 'status' | 'finishedAt'>,
): s is Pick<ExecutionSummary, 'status'> & { finishedAt: string } {
  return s.finishedAt !== null && FINAL_EXECUTION_STATUSES.includes(s.status);
}

/** Order of pruning: oldest `finishedAt` first, then id. */
export function compareFinished(a: FinishedExecution, b: FinishedExecution): number {
  if (a.finishedAt !== b.finishedAt) return a.finishedAt < b.finishedAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** True unless the query sets neither rule (then nothing is pruned). */
export function prunesAnything(query: PruneQuery): boolean {
  return query.finishedBefore !== undefined || query.keepNewest !== undefined;
}

/**
 * The executions `query` removes from `finished` (in any order), oldest first. `finishedAt`
 * values are compared as strings, with each other and with `finishedBefore`.
 */
export function planPrune(finished: FinishedExecution[], query: PruneQuery): FinishedExecution[] {
  if (!prunesAnything(query)) return [];
  const byCount =
    query.keepNewest === undefined ? 0 : Math.max(0, finished.length - query.keepNewest);
  let byAge = 0;
  const before = query.finishedBefore;
  if (before !== undefined) for (const f of finished) if (f.finishedAt < before) byAge++;
  return selectOldest(finished, Math.min(Math.max(byAge, byCount), query.limit));
}

/** The `n` oldest of `items`, oldest first: one pass keeping a sorted window of `n`. */
export function selectOldest(items: FinishedExecution[], n: number): FinishedExecution[] {
  if (n <= 0) return [];
  if (n >= items.length) return [...items].sort(compareFinished);
  const best: FinishedExecution[] = [];
  for (const item of items) {
    if (best.length === n && compareFinished(item, best[n - 1]!) >= 0) continue;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareFinished(best[mid]!, item) <= 0) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, item);
    if (best.length > n) best.pop();
  }
  return best;
}

/**
 * Validates a query and returns it normalized (`finishedBefore` as `toISOString()`, which is
 * how records write times, so every store can compare the strings); InvalidArgumentError
 * naming the field otherwise.
 */
export function checkPruneQuery(query: PruneQuery): PruneQuery {
  const issues: FieldIssue[] = [];
  const { finishedBefore, keepNewest, limit } = query;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PRUNE_LIMIT) {
    issues.push({ path: 'limit', message: `must be an integer from 1 to ${MAX_PRUNE_LIMIT}` });
  }
  if (keepNewest !== undefined && (!Number.isInteger(keepNewest) || keepNewest < 0)) {
    issues.push({ path: 'keepNewest', message: 'must be an integer of 0 or more' });
  }
  const ms = typeof finishedBefore === 'string' ? Date.parse(finishedBefore) : Number.NaN;
  if (finishedBefore !== undefined && Number.isNaN(ms)) {
    issues.push({ path: 'finishedBefore', message: 'must be an ISO-8601 time' });
  }
  if (issues.length > 0) throw InvalidArgumentError.format(issues);
  const out: PruneQuery = { limit };
  if (finishedBefore !== undefined) out.finishedBefore = new Date(ms).toISOString();
  if (keepNewest !== undefined) out.keepNewest = keepNewest;
  return out;
}

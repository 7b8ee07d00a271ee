/**
 * Run statistics per workflow over a time window, computed from the store: runs created in the
 * window, how many finished and how, success rate, mean and p95 duration, and throughput. The
 * store lists executions newest first; paging stops at the first page older than the window,
 * or after `maxScan` executions (then `truncated` is true), so a query stays bounded whatever
 * the history holds.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import {
  FINAL_EXECUTION_STATUSES,
  type ExecutionStatus,
  type ExecutionSummary,
  type Store,
} from '../store/index.ts';

/** Default of `StatisticsQuery.windowMs`: 1 h. */
export const DEFAULT_STATISTICS_WINDOW_MS = 3_600_000;
/** Default of `StatisticsOptions.maxScan`. */
export const DEFAULT_STATISTICS_MAX_SCAN = 10_000;
/** Executions read per store page. */
const PAGE = 500;

/** What to compute. */
export interface StatisticsQuery {
  /** Length of the window ending now, ms. @default 3600000 */
  windowMs?: number;
  /** Only this workflow. */
  workflowId?: string;
}

/** Bounds of the computation. */
export interface StatisticsOptions {
  /** The end of the window (epoch ms), usually the clock's now. */
  now: number;
  /** Most executions read from the store. @default 10000 */
  maxScan?: number;
}

/** The figures of one workflow. */
export interface WorkflowStatistics {
  workflowId: string;
  /** Runs created in the window. */
  runs: number;
  /** Of those, runs that reached a final status. */
  finished: number;
  /** Runs by status (only statuses that occur). */
  byStatus: Partial<Record<ExecutionStatus, number>>;
  /** completed / finished; null when none finished. */
  successRate: number | null;
  /** Mean start-to-end duration of finished runs that started, ms; null when none. */
  meanDurationMs: number | null;
  /** 95th percentile (nearest rank) of the same durations, ms; null when none. */
  p95DurationMs: number | null;
  /** Finished runs per minute over the window. */
  throughputPerMinute: number;
}

/** Statistics over one window. */
export interface Statistics {
  windowMs: number;
  /** ISO start and end of the window. */
  from: string;
  to: string;
  /** Executions read from the store. */
  scanned: number;
  /** True when `maxScan` stopped the scan before the window's start. */
  truncated: boolean;
  /** One entry per workflow with runs in the window, by id. */
  workflows: WorkflowStatistics[];
}

/** The p-th percentile (0 < p <= 100) of ascending `sorted` values, nearest-rank method. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

interface Tally {
  runs: number;
  byStatus: Partial<Record<ExecutionStatus, number>>;
  durations: number[];
}

/** Reads the window's executions from the store and computes per-workflow figures. */
export async function computeStatistics(
  store: Pick<Store, 'listExecutions'>,
  query: StatisticsQuery,
  opts: StatisticsOptions,
): Promise<Statistics> {
  const windowMs = query.windowMs ?? DEFAULT_STATISTICS_WINDOW_MS;
  const maxScan = opts.maxScan ?? DEFAULT_STATISTICS_MAX_SCAN;
  if (!(windowMs > 0)) {
    throw InvalidArgumentError.format([{ path: 'window', message: 'must be positive' }]);
  }
  const to = opts.now;
  const from = to - windowMs;
  const tallies = new Map<string, Tally>();
  let scanned = 0;
  let truncated = false;
  let cursor: string | undefined;
  for (;;) {
    const limit = Math.min(PAGE, maxScan - scanned);
    const page = await store.listExecutions({
      limit,
      ...(cursor !== undefined && { cursor }),
      ...(query.workflowId !== undefined && { workflowId: query.workflowId }),
    });
    scanned += page.items.length;
    let older = 0;
    for (const run of page.items) {
      const created = Date.parse(run.createdAt);
      if (created < from) older++;
      else if (created <= to) tally(tallies, run);
    }
    cursor = page.nextCursor ?? undefined;
    // Newest first: a page older than the window throughout means the rest is older still.
    if (!cursor || older === page.items.length) break;
    if (scanned >= maxScan) {
      truncated = true;
      break;
    }
  }
  const workflows = [...tallies]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([workflowId, t]) => summarise(workflowId, t, windowMs));
  return {
    windowMs,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    scanned,
    truncated,
    workflows,
  };
}

function tally(tallies: Map<string, Tally>, run: ExecutionSummary): void {
  let t = tallies.get(run.workflowId);
  if (!t) tallies.set(run.workflowId, (t = { runs: 0, byStatus: {}, durations: [] }));
  t.runs++;
  t.byStatus[run.status] = (t.byStatus[run.status] ?? 0) + 1;
  if (FINAL_EXECUTION_STATUSES.includes(run.status) && run.startedAt && run.finishedAt) {
    const ms = Date.parse(run.finishedAt) - Date.parse(run.startedAt);
    if (Number.isFinite(ms) && ms >= 0) t.durations.push(ms);
  }
}

function summarise(workflowId: string, t: Tally, windowMs: number): WorkflowStatistics {
  const finished = FINAL_EXECUTION_STATUSES.reduce((n, s) => n + (t.byStatus[s] ?? 0), 0);
  const durations = t.durations.sort((a, b) => a - b);
  const mean =
    durations.length === 0 ? null : durations.reduce((a, b) => a + b, 0) / durations.length;
  return {
    workflowId,
    runs: t.runs,
    finished,
    byStatus: t.byStatus,
    successRate: finished === 0 ? null : (t.byStatus.completed ?? 0) / finished,
    meanDurationMs: mean === null ? null : Math.round(mean * 10) / 10,
    p95DurationMs: percentile(durations, 95),
    throughputPerMinute: Math.round((finished / (windowMs / 60_000)) * 1000) / 1000,
  };
}

/**
 * Duration estimates of a workflow's steps from its history: the p50 of each step's successful
 * durations over the last completed runs (at most MAX_HISTORY_RUNS, newest first), read through
 * the Stator's execution list and get. Steps with no successful sample have no estimate.
 * @module
 */
import type { ExecutionRecord, ExecutionSummary, Page } from '../store/index.ts';

/** Most past runs a plan reads to estimate durations. */
export const MAX_HISTORY_RUNS = 20;

/** The reads the estimate needs (the Stator's). */
export interface HistoryReader {
  listExecutions(query: {
    workflowId: string;
    status: 'completed';
    limit: number;
  }): Promise<Page<ExecutionSummary>>;
  getExecution(id: string): Promise<ExecutionRecord>;
}

/** Per step id: the sorted successful durations (ms) seen. */
export type StepSamples = Map<string, number[]>;

/** The median of sorted numbers (the lower middle for an even count); undefined when empty. */
export function median(sorted: readonly number[]): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Successful step durations of the workflow's last completed runs (at most `runs` runs). */
export async function stepSamples(
  reader: HistoryReader,
  workflowId: string,
  runs = MAX_HISTORY_RUNS,
): Promise<StepSamples> {
  const page = await reader.listExecutions({ workflowId, status: 'completed', limit: runs });
  const records = await Promise.all(
    page.items.slice(0, runs).map((e) => reader.getExecution(e.id).catch(() => undefined)),
  );
  const samples: StepSamples = new Map();
  for (const record of records) {
    for (const step of record?.steps ?? []) {
      if (step.status !== 'succeeded' || step.reused || !step.startedAt || !step.finishedAt)
        continue;
      const start = Date.parse(step.attemptStartedAt ?? step.startedAt);
      const ms = Date.parse(step.finishedAt) - start;
      if (!Number.isFinite(ms) || ms < 0) continue;
      let list = samples.get(step.id);
      if (list === undefined) samples.set(step.id, (list = []));
      list.push(ms);
    }
  }
  for (const list of samples.values()) list.sort((a, b) => a - b);
  return samples;
}

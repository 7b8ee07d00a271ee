/**
 * The logs role of the Store: bounded step output per execution.
 * @module
 */

/** One line of step output. */
export interface LogLine {
  stepId: string;
  stream: 'stdout' | 'stderr';
  line: string;
  ts: string;
  /** The attempt that wrote it (absent in records older than durable processes). */
  attempt?: number;
}

/** Logs of one execution: kept lines in order, and how many were dropped per step. */
export interface ExecutionLogs {
  lines: LogLine[];
  /** stepId → number of earlier lines dropped because of the per-step bound. */
  truncated: Record<string, number>;
}

/** Stores step output under the store's limits. */
export interface LogStore {
  /**
   * Appends lines of an existing execution (NotFoundError otherwise); keeps at most the bound
   * per step, dropping the oldest and counting them, and cuts lines over the length limit.
   */
  appendLogs(executionId: string, lines: LogLine[]): Promise<void>;
  /** Kept lines in append order across steps; empty for an unknown execution. */
  getLogs(executionId: string, opts?: { stepId?: string }): Promise<ExecutionLogs>;
}

/**
 * Run statistics per workflow over a time window, computed from the store (the `statistics`
 * command, through `Stator.statistics()`).
 * Exports: computeStatistics, percentile, StatisticsQuery, StatisticsOptions, Statistics,
 * WorkflowStatistics, DEFAULT_STATISTICS_WINDOW_MS, DEFAULT_STATISTICS_MAX_SCAN.
 * @module
 */
export {
  computeStatistics,
  percentile,
  DEFAULT_STATISTICS_WINDOW_MS,
  DEFAULT_STATISTICS_MAX_SCAN,
} from './statistics.ts';
export type {
  Statistics,
  StatisticsOptions,
  StatisticsQuery,
  WorkflowStatistics,
} from './statistics.ts';

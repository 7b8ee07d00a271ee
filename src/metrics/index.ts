/**
 * Prometheus metrics of one Stator instance: a prom-client Registry of its own, counters fed by
 * the command layer, the event pipeline's tap and the triggers, and gauges read at scrape time.
 * Exports: StatorMetrics, MetricsSources, MetricsOptions, COMMAND_BUCKETS, RUN_BUCKETS,
 * StepTimer, DEFAULT_STEP_TIMER_RUNS.
 * @module
 */
export { StatorMetrics, COMMAND_BUCKETS, RUN_BUCKETS } from './stator-metrics.ts';
export type { MetricsSources, MetricsOptions } from './stator-metrics.ts';
export { StepTimer, DEFAULT_STEP_TIMER_RUNS } from './step-timer.ts';

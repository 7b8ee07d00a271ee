/**
 * The monitor: fan-out of every actor's outbound events to subscribers with bounded buffers.
 * Exports: MonitorHub, DEFAULT_SUBSCRIBER_BUFFER, MonitorStats.
 * Resume and fan-out: resolveMonitorHubOptions, MonitorHubOptions, ResolvedMonitorHubOptions,
 * SubscriberStats, RecentEvents, DEFAULT_RECENT_EVENTS, EventHistory, HistoryQuery, HistoryRead,
 * ReplayItem, createJetStreamHistory, JetStreamHistoryOptions, WebSocket protocol
 * (parseClientMessage, filterKey, WS_PROTOCOL_VERSION, ClientMessage, ServerMessage, WsSession,
 * WsSessionOptions, WsSocket), eventJson (one serialisation per event for every subscriber).
 * Metrics: StatorMetrics, MetricsSources, MetricsOptions, COMMAND_BUCKETS, RUN_BUCKETS, StepTimer.
 * Statistics: computeStatistics, percentile, StatisticsQuery, StatisticsOptions, Statistics,
 * WorkflowStatistics, DEFAULT_STATISTICS_WINDOW_MS, DEFAULT_STATISTICS_MAX_SCAN.
 * @module
 */
export { MonitorHub, DEFAULT_SUBSCRIBER_BUFFER } from './monitor-hub.ts';
export type { MonitorStats } from './monitor-hub.ts';
export { resolveMonitorHubOptions } from './monitor-hub.ts';
export type {
  MonitorHubOptions,
  ResolvedMonitorHubOptions,
  SubscriberStats,
} from './monitor-hub.ts';
export { RecentEvents, DEFAULT_RECENT_EVENTS } from './recent-events.ts';
export type { EventHistory, HistoryQuery, HistoryRead, ReplayItem } from './event-history.ts';
export {
  parseClientMessage,
  filterKey,
  WS_PROTOCOL_VERSION,
  type ClientMessage,
  type ServerMessage,
} from './ws-protocol.ts';
export { WsSession, type WsSessionOptions, type WsSocket } from './ws-session.ts';
export { eventJson } from './event-json.ts';
export { createJetStreamHistory, type JetStreamHistoryOptions } from './jetstream-history.ts';
export { StatorMetrics, COMMAND_BUCKETS, RUN_BUCKETS } from './metrics.ts';
export type { MetricsSources, MetricsOptions } from './metrics.ts';
export { StepTimer, DEFAULT_STEP_TIMER_RUNS } from './step-timer.ts';
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

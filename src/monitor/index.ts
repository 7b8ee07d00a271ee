/**
 * The monitor: fan-out of every actor's outbound events to subscribers with bounded buffers.
 * Exports: MonitorHub, DEFAULT_SUBSCRIBER_BUFFER, MonitorStats.
 * Resume and fan-out: resolveMonitorHubOptions, MonitorHubOptions, ResolvedMonitorHubOptions,
 * SubscriberStats, RecentEvents, DEFAULT_RECENT_EVENTS, eventJson (one serialisation per event
 * for every subscriber).
 * History seam: EventHistory, HistoryQuery, HistoryRead, ReplayItem; its JetStream
 * implementation (jetstream/): createJetStreamHistory, JetStreamHistoryOptions.
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
export { eventJson } from './event-json.ts';
export { createJetStreamHistory, type JetStreamHistoryOptions } from './jetstream/index.ts';

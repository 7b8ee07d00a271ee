/**
 * The monitor: fan-out of every actor's outbound events to subscribers with bounded buffers.
 * Exports: MonitorHub, DEFAULT_SUBSCRIBER_BUFFER, MonitorStats.
 * Resume and fan-out: resolveMonitorHubOptions, MonitorHubOptions, ResolvedMonitorHubOptions,
 * SubscriberStats, RecentEvents, DEFAULT_RECENT_EVENTS, eventJson (one serialisation per event
 * for every subscriber).
 * Cluster seam: EventStream (the cluster's one event stream, which feeds the monitor and
 * answers resumes), EventHistory, HistoryQuery, HistoryRead, StreamDelivery, ReplayItem; its
 * JetStream implementation (jetstream/): createJetStreamEventStream,
 * JetStreamEventStreamOptions. DEFAULT_ECHO_TIMEOUT_MS.
 * @module
 */
export { MonitorHub, DEFAULT_SUBSCRIBER_BUFFER, DEFAULT_ECHO_TIMEOUT_MS } from './monitor-hub.ts';
export type { MonitorStats } from './monitor-hub.ts';
export { resolveMonitorHubOptions } from './monitor-hub.ts';
export type {
  MonitorHubOptions,
  ResolvedMonitorHubOptions,
  SubscriberStats,
} from './monitor-hub.ts';
export { RecentEvents, DEFAULT_RECENT_EVENTS } from './recent-events.ts';
export type {
  EventHistory,
  EventStream,
  HistoryQuery,
  HistoryRead,
  ReplayItem,
  StreamDelivery,
} from './event-history.ts';
export { eventJson } from './event-json.ts';
export { createJetStreamEventStream, type JetStreamEventStreamOptions } from './jetstream/index.ts';

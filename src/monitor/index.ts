/**
 * The monitor: fan-out of every actor's outbound events to subscribers with bounded buffers.
 * Exports: MonitorHub, DEFAULT_SUBSCRIBER_BUFFER, MonitorStats.
 * @module
 */
export { MonitorHub, DEFAULT_SUBSCRIBER_BUFFER } from './monitor-hub.ts';
export type { MonitorStats } from './monitor-hub.ts';

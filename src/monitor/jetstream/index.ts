/**
 * The monitor's history (EventHistory) read from the JetStream event stream, for resumes in
 * cluster mode older than the recent-events ring.
 * Exports: createJetStreamHistory, JetStreamHistoryOptions.
 * @module
 */
export { createJetStreamHistory, type JetStreamHistoryOptions } from './jetstream-history.ts';

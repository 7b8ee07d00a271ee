/**
 * The seam behind resumes older than the recent buffer: a store of this process's past events
 * (the JetStream event stream in cluster mode, see jetstream/). The monitor hands it
 * every event it publishes, so an implementation can index what is its own, and asks it for the
 * events between a client's last seen sequence number and the oldest one still in memory.
 * @module
 */
import type { StampedEvent } from '../events.ts';
// eslint-disable-next-line no-restricted-imports -- cycle: runtime/index.ts imports this module
import type { EventFilter, EventGap } from '../runtime/types.ts';

/** Which past events a resume needs. */
export interface HistoryQuery {
  /** Events with a sequence number above this one... */
  after: number;
  /** ...and below this one (the oldest event the recent buffer still holds). */
  before: number;
  filter: EventFilter;
}

/** The answer to a history query. */
export interface HistoryRead {
  /** False when part of the range is no longer kept (a gap is announced). */
  complete: boolean;
  /** The events, oldest first; read lazily, so a slow subscriber paces the reading. */
  events: AsyncIterable<StampedEvent>;
}

/** Past events of this process, beyond the recent buffer. */
export interface EventHistory {
  /** Sees every event this process publishes, in sequence order. Must be cheap. */
  record(event: StampedEvent): void;
  /** The kept events of a range that match a filter. */
  read(query: HistoryQuery): Promise<HistoryRead>;
}

/** What a subscriber's replay yields: events, or the announcement of a gap before them. */
export type ReplayItem = { kind: 'event'; event: StampedEvent } | { kind: 'gap'; gap: EventGap };

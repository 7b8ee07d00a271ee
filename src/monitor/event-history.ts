/**
 * The seam behind the monitor in cluster mode: the cluster's one event stream (the JetStream
 * event stream, see jetstream/). It feeds the monitor every node's events numbered by their
 * place in the stream, and answers resumes older than the recent ring by that same number.
 * Embedded mode has none: the monitor numbers and keeps this process's events itself.
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
  /** The oldest sequence number still kept (where the replay starts when incomplete). */
  firstSeq: number;
  /** The events, oldest first; read lazily, so a slow subscriber paces the reading. */
  events: AsyncIterable<StampedEvent>;
}

/** Past events, beyond the recent buffer. */
export interface EventHistory {
  /** The kept events of a range that match a filter. */
  read(query: HistoryQuery): Promise<HistoryRead>;
  /** The sequence number of the newest event kept (0 when none). */
  lastSeq(): Promise<number>;
}

/** Receives the stream's events, in stream order, each with `seq` set to its stream sequence. */
export type StreamDelivery = (event: StampedEvent) => void;

/**
 * The cluster's event stream: every node's events in one order. The monitor reads it instead of
 * its own pipeline, so every node shows the same events under the same numbers.
 */
export interface EventStream extends EventHistory {
  /**
   * Starts delivering every event stored after the stream's current end, in order, across
   * reconnects; resolves with that end (the last sequence number before the first delivered).
   */
  open(deliver: StreamDelivery): Promise<number>;
  /** Stops delivering. */
  close(): Promise<void>;
}

/** What a subscriber's replay yields: events, or the announcement of a gap before them. */
export type ReplayItem = { kind: 'event'; event: StampedEvent } | { kind: 'gap'; gap: EventGap };

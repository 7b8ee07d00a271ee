/**
 * What a resumed subscriber receives before live events: the kept events after its `since`,
 * from the history (cluster mode, when the recent ring no longer reaches back far enough) and
 * then from the ring, preceded by a gap notice when some may be lost. The ring's part is cut
 * synchronously, at the moment of the call; the history is read lazily.
 *
 * In cluster mode numbers are the event stream's, the same on every node, and a node's ring may
 * lag behind the stream: a client that saw a newer event on another node is ahead of this one.
 * Its live events up to its `since` are skipped (the replay's `floor`), unless the stream itself
 * ends before `since` (it was recreated): then, as after a restart in embedded mode, everything
 * kept is replayed after a `reset` gap.
 * @module
 */
import type { StampedEvent } from '../events.ts';
// eslint-disable-next-line no-restricted-imports -- cycle: runtime/index.ts imports this module
import type { EventFilter, EventGap } from '../runtime/types.ts';
import type { EventHistory, ReplayItem } from './event-history.ts';
import type { RecentEvents } from './recent-events.ts';

/** Inputs of a replay. */
export interface ReplayInput {
  since: number;
  filter: EventFilter;
  recent: RecentEvents;
  /** Cluster mode: the event stream, whose sequence numbers the events carry. */
  history?: EventHistory | undefined;
}

/** A replay: its items, and the floor below which live events are skipped. */
export interface Replay {
  items: AsyncIterable<ReplayItem>;
  /** Live events with `seq <= floor.seq` were seen by the client already (set before they run). */
  floor: { seq: number };
}

/** The items to replay for a subscriber resuming after `since`. */
export function replayItems(input: ReplayInput): Replay {
  const { recent, filter, history } = input;
  const lastSeq = recent.lastSeq;
  const floor = { seq: 0 };
  if (input.since > lastSeq) {
    const kept = recent.since(0, filter);
    const firstSeq = kept.firstSeq || lastSeq + 1;
    const gap: EventGap = { since: input.since, firstSeq, missed: firstSeq - 1, reason: 'reset' };
    // Embedded: an id this process never handed out; it restarted and numbers from 1 again.
    if (!history) return { items: items([gap], kept.events), floor };
    floor.seq = input.since;
    return { items: ahead(history, input.since, gap, kept.events, floor, lastSeq), floor };
  }
  const slice = recent.since(input.since, filter);
  // The oldest sequence number the ring can still replay (the next one when it is empty).
  const firstKept = slice.firstSeq || lastSeq + 1;
  if (input.since >= firstKept - 1) return { items: items([], slice.events), floor };
  const gap: EventGap = {
    since: input.since,
    firstSeq: firstKept,
    missed: firstKept - input.since - 1,
    reason: 'evicted',
  };
  if (!history) return { items: items([gap], slice.events), floor };
  return { items: fromHistory(history, input, gap, slice.events), floor };
}

async function* items(gaps: EventGap[], events: StampedEvent[]): AsyncGenerator<ReplayItem> {
  for (const gap of gaps) yield { kind: 'gap', gap };
  for (const event of events) yield { kind: 'event', event };
}

/** A client ahead of this node's ring: nothing to replay, unless the stream was recreated. */
async function* ahead(
  history: EventHistory,
  since: number,
  reset: EventGap,
  kept: StampedEvent[],
  floor: { seq: number },
  cut: number,
): AsyncGenerator<ReplayItem> {
  let end: number | undefined;
  try {
    end = await history.lastSeq();
  } catch {
    end = undefined; // Unknown (NATS unreachable): trust the client's id.
  }
  if (end === undefined || since <= end) return;
  floor.seq = cut;
  yield* items([reset], kept);
}

async function* fromHistory(
  history: EventHistory,
  input: ReplayInput,
  gap: EventGap,
  recent: StampedEvent[],
): AsyncGenerator<ReplayItem> {
  let read;
  try {
    read = await history.read({ after: input.since, before: gap.firstSeq, filter: input.filter });
  } catch {
    read = undefined;
  }
  if (!read) {
    yield { kind: 'gap', gap };
  } else {
    if (!read.complete) {
      const firstSeq = read.firstSeq;
      yield { kind: 'gap', gap: { ...gap, firstSeq, missed: firstSeq - input.since - 1 } };
    }
    for await (const event of read.events) yield { kind: 'event', event };
  }
  for (const event of recent) yield { kind: 'event', event };
}

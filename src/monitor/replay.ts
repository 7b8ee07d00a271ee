/**
 * What a resumed subscriber receives before live events: the kept events after its `since`,
 * from the history (when one is configured and the recent ring no longer reaches back far
 * enough) and then from the ring, preceded by a gap notice when some may be lost. The ring's
 * part is cut synchronously, at the moment of the call; the history is read lazily.
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
  history?: EventHistory | undefined;
}

/** The items to replay for a subscriber resuming after `since`. */
export function replayItems(input: ReplayInput): AsyncIterable<ReplayItem> {
  const { recent, filter } = input;
  const lastSeq = recent.lastSeq;
  if (input.since > lastSeq) {
    // An id this process never handed out: it restarted and numbers from 1 again.
    const slice = recent.since(0, filter);
    const firstSeq = slice.firstSeq || lastSeq + 1;
    const gap: EventGap = { since: input.since, firstSeq, missed: firstSeq - 1, reason: 'reset' };
    return items([gap], slice.events);
  }
  const slice = recent.since(input.since, filter);
  // The oldest sequence number the ring can still replay (the next one when it is empty).
  const firstKept = slice.firstSeq || lastSeq + 1;
  if (input.since >= firstKept - 1) return items([], slice.events);
  const gap: EventGap = {
    since: input.since,
    firstSeq: firstKept,
    missed: firstKept - input.since - 1,
    reason: 'evicted',
  };
  if (!input.history) return items([gap], slice.events);
  return fromHistory(input.history, input, gap, slice.events);
}

async function* items(gaps: EventGap[], events: StampedEvent[]): AsyncGenerator<ReplayItem> {
  for (const gap of gaps) yield { kind: 'gap', gap };
  for (const event of events) yield { kind: 'event', event };
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
    if (!read.complete) yield { kind: 'gap', gap };
    for await (const event of read.events) yield { kind: 'event', event };
  }
  for (const event of recent) yield { kind: 'event', event };
}

/**
 * Resume from the JetStream event stream (`<prefix>_events`, see store/jetstream-events.ts) in
 * cluster mode, for ids older than the monitor's recent ring.
 *
 * Sequence numbers are per process while the stream holds every process's events, so a
 * process must find its own events in it. It keeps, bounded: a checkpoint (seq, time) every N
 * events it publishes, which tells where in the stream to start (by time), and the actor
 * addresses it published for recently (engines carry the node name; execution ids are unique),
 * which tells its events from others'. A resume reads an ordered consumer from the checkpoint's
 * time, keeps the events of its own actors with `after < seq < before` in increasing order,
 * and stops at the first own event at or past `before`, at the stream's end, or after
 * `maxReplay` messages. It is reported incomplete when the stream no longer reaches back to the
 * checkpoint (retention) or the checkpoints do not reach back to `after`.
 * @module
 */
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { StampedEvent } from '../../events.ts';
import { actorOut, actorWildcard } from '../../bus/index.ts';
import { matchesFilter } from '../../../machines/event-filter.ts';
import type { EventHistory, HistoryQuery, HistoryRead } from '../event-history.ts';

/** Options of createJetStreamHistory. */
export interface JetStreamHistoryOptions {
  connection: NatsConnection;
  /** Name prefix; the stream is `<prefix>_events`. @default 'stator' */
  prefix?: string;
  /** One checkpoint per this many published events. @default 256 */
  checkpointEvery?: number;
  /** Checkpoints kept: a resume reaches back `checkpointEvery × maxCheckpoints` events. @default 4096 */
  maxCheckpoints?: number;
  /** Actor addresses remembered as this process's own. @default 65536 */
  maxSources?: number;
  /** Stream messages read at most per resume. @default 200000 */
  maxReplay?: number;
  /** Messages fetched per request. @default 256 */
  batch?: number;
}

interface Checkpoint {
  seq: number;
  /** When the event was stamped. */
  ms: number;
}

/** Where a read starts: a little before the checkpoint, against clock skew with the server. */
const START_EARLY_MS = 1000;

const EMPTY: AsyncIterable<StampedEvent> = (async function* () {})();

/** The event stream as the monitor's history. */
export function createJetStreamHistory(opts: JetStreamHistoryOptions): EventHistory {
  const stream = `${opts.prefix ?? 'stator'}_events`;
  const every = opts.checkpointEvery ?? 256;
  const maxCheckpoints = opts.maxCheckpoints ?? 4096;
  const maxSources = opts.maxSources ?? 65_536;
  const maxReplay = opts.maxReplay ?? 200_000;
  const batch = opts.batch ?? 256;
  const checkpoints: Checkpoint[] = [];
  const sources = new Map<string, number>();

  function record(event: StampedEvent): void {
    const last = checkpoints.at(-1);
    if (!last || event.seq - last.seq >= every) {
      checkpoints.push({ seq: event.seq, ms: Date.parse(event.ts) });
      if (checkpoints.length > maxCheckpoints) checkpoints.shift();
    }
    // Most recently used last: the oldest addresses are forgotten first.
    sources.delete(event.source);
    sources.set(event.source, event.seq);
    if (sources.size > maxSources) sources.delete(sources.keys().next().value!);
  }

  /** The last checkpoint at or before `seq` (the first one when none is). */
  function checkpointFor(seq: number): { at: Checkpoint; covers: boolean } | undefined {
    let found: Checkpoint | undefined;
    for (const c of checkpoints) {
      if (c.seq > seq) break;
      found = c;
    }
    return found
      ? { at: found, covers: true }
      : checkpoints[0] && { at: checkpoints[0], covers: false };
  }

  async function read(query: HistoryQuery): Promise<HistoryRead> {
    const start = checkpointFor(query.after + 1);
    if (!start) return { complete: false, events: EMPTY };
    const jsm = await jetstreamManager(opts.connection);
    const info = await jsm.streams.info(stream);
    const firstMs = info.state.first_ts
      ? Date.parse(info.state.first_ts)
      : Number.POSITIVE_INFINITY;
    // Retention drops the oldest first: the range is whole when the stream still holds a
    // message older than the checkpoint, or its first message is one of ours not after `after+1`.
    let complete = start.covers && info.state.messages > 0 && firstMs < start.at.ms;
    if (start.covers && !complete && info.state.messages > 0) {
      const first = await jsm.streams.getMessage(stream, { seq: info.state.first_seq });
      const event = first?.json<StampedEvent>();
      complete = !!event && sources.has(event.source) && event.seq <= query.after + 1;
    }
    const { kind, id } = query.filter;
    const subject =
      kind !== undefined && id !== undefined
        ? actorOut(kind, id)
        : kind !== undefined
          ? actorWildcard('out', kind)
          : actorWildcard('out');
    const consumer = await jetstream(opts.connection).consumers.get(stream, {
      filter_subjects: subject,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(start.at.ms - START_EARLY_MS).toISOString(),
    });
    async function* events(): AsyncGenerator<StampedEvent> {
      let read = 0;
      let lastSeq = query.after;
      try {
        let pending = (await consumer.info(true)).num_pending;
        while (pending > 0 && read < maxReplay) {
          const msgs = await consumer.fetch({
            max_messages: Math.min(batch, pending),
            expires: 2000,
          });
          let got = 0;
          for await (const m of msgs) {
            got++;
            read++;
            pending = m.info.pending;
            let event: StampedEvent;
            try {
              event = m.json<StampedEvent>();
            } catch {
              continue;
            }
            if (!sources.has(event.source)) continue;
            if (event.seq >= query.before) return;
            if (event.seq <= lastSeq) continue;
            lastSeq = event.seq;
            if (matchesFilter(query.filter, event)) yield event;
          }
          if (got === 0) break;
        }
      } finally {
        await consumer.delete().catch(() => undefined);
      }
    }
    return { complete, events: events() };
  }

  return { record, read };
}

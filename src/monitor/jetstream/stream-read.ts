/**
 * A resume older than the monitor's recent ring, read from the event stream by sequence: an
 * ordered consumer from `after + 1`, narrowed to the filter's subject when it names an actor
 * kind (and id), yielding the matching events below `before`. Retention drops the oldest
 * messages first, so the range is whole exactly when the stream still starts at or before
 * `after + 1`; otherwise the replay starts at the stream's first message, after a gap notice.
 * @module
 */
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { StampedEvent } from '../../events.ts';
import type { ActorKind, SubjectSpace } from '../../bus/index.ts';
import { matchesFilter } from '../../../machines/event-filter.ts';
import type { HistoryQuery, HistoryRead } from '../event-history.ts';
import { streamEvent } from './stream-event.ts';

/** Where and how much to read. */
export interface StreamReadOptions {
  connection: NatsConnection;
  /** The deployment's names: the stream's subjects are its actors' `.out` subjects. */
  subjects: SubjectSpace;
  stream: string;
  /** Messages fetched per request. */
  batch: number;
  /** Messages read at most. */
  maxReplay: number;
}

/** Reads the events of `query` from the stream, lazily. */
export async function readStream(
  opts: StreamReadOptions,
  query: HistoryQuery,
): Promise<HistoryRead> {
  const jsm = await jetstreamManager(opts.connection);
  const { state } = await jsm.streams.info(opts.stream);
  // An empty stream reports first_seq = last_seq + 1.
  const firstSeq = Math.max(state.first_seq, query.after + 1);
  const complete = state.first_seq <= query.after + 1;
  const last = Math.min(state.last_seq, query.before - 1);
  if (last < firstSeq) return { complete, firstSeq, events: none() };
  // Narrowed on the server only by plain tokens; matchesFilter below has the last word anyway.
  const kind = token(query.filter.kind);
  const id = token(query.filter.id);
  const subject =
    kind !== undefined && id !== undefined
      ? opts.subjects.actorOut(kind as ActorKind, id)
      : kind !== undefined
        ? opts.subjects.actorWildcard('out', kind as ActorKind)
        : undefined;
  const consumer = await jetstream(opts.connection).consumers.get(opts.stream, {
    ...(subject !== undefined && { filter_subjects: subject }),
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: firstSeq,
  });

  async function* events(): AsyncGenerator<StampedEvent> {
    let read = 0;
    try {
      let pending = (await consumer.info(true)).num_pending;
      while (pending > 0 && read < opts.maxReplay) {
        const msgs = await consumer.fetch({
          max_messages: Math.min(opts.batch, pending),
          expires: 2000,
        });
        let got = 0;
        for await (const m of msgs) {
          got++;
          read++;
          pending = m.info.pending;
          if (m.seq > last) return;
          const event = streamEvent(m);
          if (event && matchesFilter(query.filter, event)) yield event;
        }
        if (got === 0) break;
      }
    } finally {
      await consumer.delete().catch(() => undefined);
    }
  }
  return { complete, firstSeq, events: events() };
}

async function* none(): AsyncGenerator<StampedEvent> {}

/** The value when it can be a subject token as it is. */
function token(value: string | undefined): string | undefined {
  return value !== undefined && /^[A-Za-z0-9_-]+$/.test(value) ? value : undefined;
}

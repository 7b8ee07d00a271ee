/**
 * Reading many messages at once: `readSubjects` drains the messages of a stream that match one
 * subject filter (all of them, or the last per subject for KV values) through one ephemeral
 * ordered consumer (in memory on the server), stopping once nothing is pending;
 * `listKeys` collects a KV bucket's live keys under a pattern; `mapBounded` runs async work over
 * a list with a bound on what is in flight (pipelined requests without flooding the socket).
 * @module
 */
import {
  DeliverPolicy,
  type JetStreamClient,
  type JsMsg,
  type OrderedPushConsumerOptions,
} from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { TimeoutError } from '../../errors.ts';

/** How often a read checks whether the server has anything left for it. */
const IDLE_POLL_MS = 250;

/** One message read back: subject, stream sequence and payload. */
export interface ScannedMsg {
  subject: string;
  seq: number;
  data: Uint8Array;
  /** KV operation header (`DEL`, `PURGE`) when present. */
  operation?: string;
}

/** Options of readSubjects. */
export interface ReadSubjectsOptions {
  /** Only the last message of each subject (KV current values). @default false */
  lastPerSubject?: boolean;
  /** Gives up after this long without finishing. @default 30000 */
  timeoutMs?: number;
}

/** Reads every message of `stream` matching `filter`, in stream order. */
export async function readSubjects(
  js: JetStreamClient,
  stream: string,
  filter: string,
  opts: ReadSubjectsOptions = {},
): Promise<ScannedMsg[]> {
  const config: Partial<OrderedPushConsumerOptions> & { mem_storage: boolean } = {
    filter_subjects: filter,
    deliver_policy: opts.lastPerSubject ? DeliverPolicy.LastPerSubject : DeliverPolicy.All,
    // Passed through to the consumer config: its state need not touch the server's disk.
    mem_storage: true,
  };
  const consumer = await js.consumers.getPushConsumer(stream, config);
  const pending = (await consumer.info(true)).num_pending;
  // Writes that land while reading are read too (until nothing is pending); the cap only stops
  // a read that a write storm would otherwise keep going forever.
  const cap = 2 * pending + 1000;
  const out: ScannedMsg[] = [];
  if (pending > 0) {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const messages = await consumer.consume({
      callback: (m: JsMsg) => {
        const operation = m.headers?.get('KV-Operation');
        out.push({
          subject: m.subject,
          seq: m.seq,
          data: m.data,
          ...(operation ? { operation } : {}),
        });
        if (m.info.pending === 0 || out.length >= cap) void messages.close();
      },
    });
    // A message can vanish after it was counted as pending (a KV key rewritten while it is
    // read drops its older value), so the last delivered one may never say `pending: 0`:
    // poll the consumer and stop once the server has nothing left for it.
    const idle = setInterval(() => {
      consumer.info(false).then(
        (info) => {
          // Nothing left on the server, and everything it sent has arrived.
          if (info.num_pending === 0 && info.delivered.consumer_seq <= out.length) {
            void messages.close();
          }
        },
        () => {},
      );
    }, IDLE_POLL_MS);
    let timer: NodeJS.Timeout | undefined;
    const failed = await Promise.race([
      messages.closed(),
      new Promise<Error>((resolve) => {
        timer = setTimeout(
          () => resolve(new TimeoutError(`reading '${filter}' took over ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
    clearTimeout(timer);
    clearInterval(idle);
    if (failed instanceof Error) {
      void messages.close();
      void consumer.delete().catch(() => {});
      throw failed;
    }
  }
  // Ordered consumers expire by themselves after 5 minutes; deleting now frees them at once.
  void consumer.delete().catch(() => {});
  return opts.lastPerSubject ? latestPerSubject(out) : out;
}

/** Keeps the newest message of each subject (a key rewritten while it was being read). */
function latestPerSubject(msgs: ScannedMsg[]): ScannedMsg[] {
  const last = new Map<string, ScannedMsg>();
  for (const m of msgs) {
    const prev = last.get(m.subject);
    if (prev === undefined || prev.seq < m.seq) last.set(m.subject, m);
  }
  return last.size === msgs.length ? msgs : [...last.values()].sort((a, b) => a.seq - b.seq);
}

/** The live keys of `kv` matching `pattern`. */
export async function listKeys(kv: KV, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of await kv.keys(pattern)) keys.push(key);
  return keys;
}

/** Maps `items` through `fn` with at most `limit` calls in flight; results keep input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

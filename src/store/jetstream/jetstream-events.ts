/**
 * The event stream: every actor's outbound events (`<prefix>.*.*.out`) kept with bounded retention
 * (age, count and bytes, oldest discarded first), so that a client can replay a run's history
 * from any NATS client. It is also the cluster's one ordered event sequence: every node's
 * monitor reads it (src/monitor/jetstream/), and SSE ids are its sequence numbers. This module
 * only creates the stream (or brings an existing one to the configured limits); the runtime
 * publishes on the subjects as it always does.
 * @module
 */
import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { z } from 'zod';
import { subjectSpace, validatePattern } from '../../bus/index.ts';
import { InvalidArgumentError } from '../../errors.ts';
import { isStreamNotFound } from './jetstream-errors.ts';
import { DEFAULT_STORE_PREFIX } from './jetstream-names.ts';

/** Options of ensureEventStream. */
export interface EventStreamOptions {
  /** Name prefix; the stream is `<prefix>_events`. @default 'stator' */
  prefix?: string;
  /** Subjects captured. @default ['<prefix>.*.*.out'] (every actor's outbound subject) */
  subjects?: string[];
  /** Events older than this are dropped, ms. @default 86400000 (24 h) */
  maxAgeMs?: number;
  /** Events kept at most. @default 1000000 */
  maxMsgs?: number;
  /** Bytes kept at most. @default 1073741824 (1 GiB) */
  maxBytes?: number;
  /** @default 1 */
  replicas?: number;
  /** @default 'file' */
  storage?: 'file' | 'memory';
}

/** Default retention age of the event stream, ms. */
export const DEFAULT_EVENT_STREAM_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** Default message bound of the event stream. */
export const DEFAULT_EVENT_STREAM_MAX_MSGS = 1_000_000;
/** Default byte bound of the event stream. */
export const DEFAULT_EVENT_STREAM_MAX_BYTES = 1024 * 1024 * 1024;

/** Event stream options with every default applied, plus the stream name. */
export interface ResolvedEventStreamOptions extends Required<EventStreamOptions> {
  name: string;
}

const schema = z.object({
  prefix: z.string().default(DEFAULT_STORE_PREFIX),
  subjects: z.array(z.string()).min(1).optional(),
  maxAgeMs: z.number().int().min(1).default(DEFAULT_EVENT_STREAM_MAX_AGE_MS),
  maxMsgs: z.number().int().min(1).default(DEFAULT_EVENT_STREAM_MAX_MSGS),
  maxBytes: z.number().int().min(1024).default(DEFAULT_EVENT_STREAM_MAX_BYTES),
  replicas: z.number().int().min(1).max(5).default(1),
  storage: z.enum(['file', 'memory']).default('file'),
});

/** Applies defaults and validates; throws InvalidArgumentError naming the bad field. */
export function resolveEventStreamOptions(
  input: EventStreamOptions = {},
): ResolvedEventStreamOptions {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw InvalidArgumentError.format(
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  const names = subjectSpace(parsed.data.prefix);
  const subjects = parsed.data.subjects ?? [names.actorWildcard('out')];
  subjects.forEach((s, i) => validatePattern(s, `subjects.${i}`));
  const name = names.streams.events;
  return { ...parsed.data, subjects, name };
}

/** Creates the event stream, or updates an existing one to the configured subjects and limits. */
export async function ensureEventStream(
  jsm: JetStreamManager,
  input: EventStreamOptions = {},
): Promise<StreamInfo> {
  const o = resolveEventStreamOptions(input);
  const limits = {
    subjects: o.subjects,
    max_age: nanos(o.maxAgeMs),
    max_msgs: o.maxMsgs,
    max_bytes: o.maxBytes,
  };
  try {
    const info = await jsm.streams.info(o.name);
    const c = info.config;
    const same =
      c.max_age === limits.max_age &&
      c.max_msgs === limits.max_msgs &&
      c.max_bytes === limits.max_bytes &&
      JSON.stringify([...c.subjects].sort()) === JSON.stringify([...o.subjects].sort());
    return same ? info : await jsm.streams.update(o.name, { ...c, ...limits });
  } catch (err) {
    if (!isStreamNotFound(err)) throw err;
    return jsm.streams.add({
      name: o.name,
      ...limits,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      storage: o.storage === 'memory' ? StorageType.Memory : StorageType.File,
      num_replicas: o.replicas,
      allow_direct: true,
    });
  }
}

/**
 * Options of the JetStream store: the connection, the name prefix, replication, value size,
 * the revision cache and the store limits, with their defaults and one validation at the boundary.
 * @module
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { InvalidArgumentError } from '../../errors.ts';
import { resolveStoreLimits } from '../limits.ts';
import { DEFAULT_STORE_PREFIX, validateStorePrefix } from './jetstream-names.ts';
import type { StoreLimits } from '../types.ts';

/** Options of the JetStream store. */
export interface JetStreamStoreOptions extends Partial<StoreLimits> {
  /** An open connection; the store never closes it. */
  connection: NatsConnection;
  /** Prefix of every bucket and stream name (`<prefix>_executions`, ...). @default 'stator' */
  prefix?: string;
  /** Replicas of every bucket and stream (1, 3 or 5 in a cluster). @default 1 */
  replicas?: number;
  /** Where the server keeps the data. @default 'file' */
  storage?: 'file' | 'memory';
  /**
   * Largest value written as one KV message; bigger definitions are split into chunks of this
   * size. Clamped to the server's max_payload less 8 KiB for headers. @default 524288
   */
  maxValueBytes?: number;
  /** Revisions remembered per store object, so an update needs no read first. @default 10000 */
  cacheEntries?: number;
  /** Attempts of a revision-checked update before it fails with `conflict`. @default 25 */
  maxUpdateAttempts?: number;
}

/** Default replica count. */
export const DEFAULT_JETSTREAM_REPLICAS = 1;
/** Default size of one KV value (and of one definition chunk), bytes. */
export const DEFAULT_MAX_VALUE_BYTES = 512 * 1024;
/** Default size of the revision cache, entries. */
export const DEFAULT_CACHE_ENTRIES = 10_000;
/** Default attempts of a revision-checked update. */
export const DEFAULT_MAX_UPDATE_ATTEMPTS = 25;
/** Bytes of max_payload left for headers when clamping maxValueBytes. */
const HEADER_ROOM = 8 * 1024;

/** JetStream store options with every default applied. */
export interface ResolvedJetStreamStoreOptions extends StoreLimits {
  connection: NatsConnection;
  prefix: string;
  replicas: number;
  storage: 'file' | 'memory';
  maxValueBytes: number;
  cacheEntries: number;
  maxUpdateAttempts: number;
}

const schema = z.object({
  prefix: z.string().default(DEFAULT_STORE_PREFIX),
  replicas: z.number().int().min(1).max(5).default(DEFAULT_JETSTREAM_REPLICAS),
  storage: z.enum(['file', 'memory']).default('file'),
  maxValueBytes: z.number().int().min(1024).default(DEFAULT_MAX_VALUE_BYTES),
  cacheEntries: z.number().int().min(0).default(DEFAULT_CACHE_ENTRIES),
  maxUpdateAttempts: z.number().int().min(1).default(DEFAULT_MAX_UPDATE_ATTEMPTS),
});

/**
 * Applies defaults and validates; throws InvalidArgumentError naming the bad field.
 * `serverMaxPayload` (the connection's max_payload) caps maxValueBytes when known.
 */
export function resolveJetStreamStoreOptions(
  input: JetStreamStoreOptions,
  serverMaxPayload?: number,
): ResolvedJetStreamStoreOptions {
  if (input.connection == null || typeof input.connection.request !== 'function') {
    throw InvalidArgumentError.format([
      { path: 'connection', message: 'must be an open NatsConnection' },
    ]);
  }
  const parsed = schema.safeParse({
    prefix: input.prefix,
    replicas: input.replicas,
    storage: input.storage,
    maxValueBytes: input.maxValueBytes,
    cacheEntries: input.cacheEntries,
    maxUpdateAttempts: input.maxUpdateAttempts,
  });
  if (!parsed.success) {
    throw InvalidArgumentError.format(
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  validateStorePrefix(parsed.data.prefix);
  let maxValueBytes = parsed.data.maxValueBytes;
  if (serverMaxPayload !== undefined && serverMaxPayload > 0) {
    const room = serverMaxPayload - HEADER_ROOM;
    if (input.maxValueBytes !== undefined && input.maxValueBytes > room) {
      throw InvalidArgumentError.format([
        {
          path: 'maxValueBytes',
          message: `must be at most ${room} (server max_payload ${serverMaxPayload} less header room)`,
        },
      ]);
    }
    maxValueBytes = Math.max(1024, Math.min(maxValueBytes, room));
  }
  return {
    connection: input.connection,
    ...parsed.data,
    maxValueBytes,
    ...resolveStoreLimits(input),
  };
}

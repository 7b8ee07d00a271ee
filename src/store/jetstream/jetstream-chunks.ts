/**
 * Values bigger than one KV message (a 10,000-step definition is ~1.5 MB, over the server's
 * default 1 MB max_payload): the JSON bytes are split into `<base>.<n>` keys of at most
 * `chunkBytes` each, written before the record that points to them (a `ChunkRef`), so a reader
 * that finds the record always finds its chunks. Chunks are immutable: a replaced value gets a
 * new base key and the old chunks are purged after the switch.
 * @module
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { kvStreamName, kvSubject } from './jetstream-names.ts';
import { mapBounded } from './jetstream-scan.ts';

/** Where a chunked value lives: `<key>.0` .. `<key>.<chunks-1>`, `bytes` in total. */
export interface ChunkRef {
  key: string;
  chunks: number;
  bytes: number;
}

/** Chunk writes or reads in flight at once. */
const IN_FLIGHT = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Writes `value` as JSON chunks under `key` and returns the reference. */
export function writeChunks(
  kv: KV,
  key: string,
  value: unknown,
  chunkBytes: number,
): Promise<ChunkRef> {
  return writeChunkText(kv, key, JSON.stringify(value), chunkBytes);
}

/** Writes JSON text (a value already serialized) as chunks under `key`. */
export async function writeChunkText(
  kv: KV,
  key: string,
  text: string,
  chunkBytes: number,
): Promise<ChunkRef> {
  const bytes = encoder.encode(text);
  const chunks = Math.max(1, Math.ceil(bytes.length / chunkBytes));
  const parts = Array.from({ length: chunks }, (_, i) =>
    bytes.subarray(i * chunkBytes, Math.min(bytes.length, (i + 1) * chunkBytes)),
  );
  await mapBounded(parts, IN_FLIGHT, (part, i) => kv.put(`${key}.${i}`, part));
  return { key, chunks, bytes: bytes.length };
}

/** Reads and parses a chunked value; throws when a chunk is missing or the size differs. */
export async function readChunks<T>(kv: KV, ref: ChunkRef): Promise<T> {
  return JSON.parse(await readChunkText(kv, ref)) as T;
}

/** Reads a chunked value's JSON text; throws when a chunk is missing or the size differs. */
export async function readChunkText(kv: KV, ref: ChunkRef): Promise<string> {
  const indexes = Array.from({ length: ref.chunks }, (_, i) => i);
  const parts = await mapBounded(indexes, IN_FLIGHT, async (i) => {
    const entry = await kv.get(`${ref.key}.${i}`);
    if (entry === null || entry.operation !== 'PUT') {
      throw new Error(`chunk ${i} of '${ref.key}' is missing`);
    }
    return entry.value;
  });
  const bytes = new Uint8Array(ref.bytes);
  let at = 0;
  for (const part of parts) {
    if (at + part.length > ref.bytes) throw new Error(`chunks of '${ref.key}' exceed their size`);
    bytes.set(part, at);
    at += part.length;
  }
  if (at !== ref.bytes) throw new Error(`chunks of '${ref.key}' are short of their size`);
  return decoder.decode(bytes);
}

/**
 * Removes the chunks of `ref` from the bucket's stream with one subject-filtered purge, which
 * (unlike a KV delete or purge per key) leaves no marker behind. Best effort: leftovers are
 * unreachable, never wrong.
 */
export async function purgeChunks(
  jsm: JetStreamManager,
  bucket: string,
  ref: ChunkRef,
): Promise<void> {
  await jsm.streams
    .purge(kvStreamName(bucket), { filter: kvSubject(bucket, `${ref.key}.>`) })
    .catch(() => undefined);
}

/** The JSON size of `value` in bytes. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

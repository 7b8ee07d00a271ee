/**
 * Copies a stream to a sink while hashing and counting it, and stops (rejecting with
 * ArtifactTooLargeError) as soon as more than the bound has come.
 * @module
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ArtifactTooLargeError } from './types.ts';

/** What a copy saw. */
export interface CopyResult {
  size: number;
  sha256: string;
}

/** Feeds `source` chunk by chunk to `write` (awaited: backpressure), bounded by `maxBytes`. */
export async function countedCopy(
  source: Readable,
  maxBytes: number,
  write: (chunk: Uint8Array) => Promise<void>,
): Promise<CopyResult> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.byteLength;
      if (size > maxBytes) throw new ArtifactTooLargeError(maxBytes);
      hash.update(bytes);
      await write(bytes);
    }
  } finally {
    source.destroy();
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * How the JetStream store reads NATS failures: a revision mismatch (someone wrote first), a
 * missing message, and everything else from the connection, which reaches callers as
 * `unavailable` (recoverable) while programming errors stay `internal`.
 * @module
 */
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { StatorError, UnavailableError } from '../../errors.ts';

/** True when a write failed because the key's last revision was not the expected one. */
export function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/**
 * True when a revision-checked KV write lost to another writer: a wrong last sequence, or
 * `kv.create` of a key that exists (which the client reports in its own words).
 */
export function isKvConflict(err: unknown): boolean {
  if (isWrongLastSequence(err)) return true;
  return err instanceof Error && /wrong last sequence|key exists/i.test(err.message);
}

/** True when the server answered that the message (or stream) does not exist. */
export function isNoMessage(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.NoMessageFound || err.code === JetStreamApiCodes.StreamNotFound)
  );
}

/** True when the server answered that the stream does not exist. */
export function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

const PROGRAMMING_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError];

/** Maps an error thrown inside the store to a StatorError. */
export function toStoreError(err: unknown): StatorError {
  if (err instanceof StatorError) return err;
  if (err instanceof Error && !PROGRAMMING_ERRORS.some((k) => err instanceof k)) {
    return new UnavailableError(`jetstream store: ${err.message}`, err);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new StatorError('internal', `jetstream store: ${message}`, { cause: err });
}

/** A revision-checked update that lost to other writers too many times in a row. */
export function tooManyConflicts(key: string, attempts: number): StatorError {
  return new StatorError('conflict', `'${key}' changed under ${attempts} attempts to update it`, {
    details: { key, attempts },
    recoverable: true,
  });
}

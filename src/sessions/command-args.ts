/**
 * Checks of command arguments that the definition schema does not cover (input text, log
 * paging, preference keys), and the record of a new session.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import type { SessionRecord } from '../store/index.ts';
import type { SessionDefinition } from './types.ts';

/** Throws InvalidArgumentError unless `text` is a string of at most `maxBytes` UTF-8 bytes. */
export function checkInputText(text: unknown, maxBytes: number): asserts text is string {
  if (typeof text !== 'string') {
    throw InvalidArgumentError.format([{ path: 'text', message: 'must be a string' }]);
  }
  if (Buffer.byteLength(text) > maxBytes) {
    throw InvalidArgumentError.format([
      { path: 'text', message: `must be at most ${maxBytes} bytes` },
    ]);
  }
}

/** Throws InvalidArgumentError naming `since` or `limit` when they are not sane integers. */
export function checkLogsQuery(opts: { since?: number; limit?: number }): void {
  const { since, limit } = opts;
  if (since !== undefined && (!Number.isInteger(since) || since < 0)) {
    throw InvalidArgumentError.format([{ path: 'since', message: 'must be an integer >= 0' }]);
  }
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw InvalidArgumentError.format([{ path: 'limit', message: 'must be an integer >= 1' }]);
  }
}

/** Throws InvalidArgumentError unless `key` is a preference key of 1-128 characters. */
export function checkPreferenceKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 128) {
    throw InvalidArgumentError.format([{ path: 'key', message: 'must be 1-128 characters' }]);
  }
}

/** The record of a session just created (status `created`). */
export function newSessionRecord(
  id: string,
  node: string,
  definition: SessionDefinition,
  now: string,
): SessionRecord {
  return {
    id,
    node,
    definition,
    status: 'created',
    activity: null,
    pid: null,
    restarts: 0,
    recentRestarts: [],
    exitCode: null,
    lastError: null,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    awaitingSince: null,
  };
}

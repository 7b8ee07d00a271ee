/**
 * The checks every store shares, made once by checkedStore (checked-store.ts) before a call
 * reaches an implementation: step ids unique within an execution, non-empty ids of trigger
 * states and sessions, and a well-formed idempotency claim (bounded scope and key, ISO times,
 * `expiresAt` after `createdAt`). Each throws InvalidArgumentError naming the field.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { copyClaim } from './record-copy.ts';
import type { ExecutionRecord, IdempotencyClaim } from './roles/index.ts';

/** Longest scope and key of an idempotency claim, characters (keeps KV keys within limits). */
export const MAX_IDEMPOTENCY_TOKEN_LENGTH = 256;

/** Throws unless every step of `record` has an id of its own. */
export function checkStepIds(record: ExecutionRecord): void {
  const seen = new Set<string>();
  for (const s of record.steps) {
    if (seen.has(s.id)) {
      throw InvalidArgumentError.format([{ path: 'steps', message: `duplicate step '${s.id}'` }]);
    }
    seen.add(s.id);
  }
}

/** Throws unless `id` is a non-empty string (trigger states and sessions). */
export function checkRecordId(id: unknown): void {
  if (typeof id !== 'string' || id.length === 0) {
    throw InvalidArgumentError.format([{ path: 'id', message: 'must be a non-empty string' }]);
  }
}

const tokenIssue = (path: string, value: unknown) => {
  if (typeof value !== 'string' || value.length === 0) {
    return { path, message: 'must be a non-empty string' };
  }
  if (value.length > MAX_IDEMPOTENCY_TOKEN_LENGTH) {
    return { path, message: `must be at most ${MAX_IDEMPOTENCY_TOKEN_LENGTH} characters` };
  }
  return undefined;
};

/**
 * Validates a claim (non-empty bounded scope/key, non-empty executionId, ISO times, expiresAt
 * after createdAt) and returns a copy of it.
 */
export function checkClaim(c: IdempotencyClaim): IdempotencyClaim {
  const createdMs = Date.parse(c.createdAt);
  const expiresMs = Date.parse(c.expiresAt);
  const issues = [
    tokenIssue('scope', c.scope),
    tokenIssue('key', c.key),
    typeof c.executionId !== 'string' || c.executionId.length === 0
      ? { path: 'executionId', message: 'must be a non-empty string' }
      : undefined,
    Number.isNaN(createdMs)
      ? { path: 'createdAt', message: 'must be an ISO-8601 time' }
      : undefined,
    Number.isNaN(expiresMs)
      ? { path: 'expiresAt', message: 'must be an ISO-8601 time' }
      : undefined,
    !Number.isNaN(createdMs) && !Number.isNaN(expiresMs) && expiresMs <= createdMs
      ? { path: 'expiresAt', message: 'must be later than createdAt' }
      : undefined,
  ].filter((i) => i !== undefined);
  if (issues.length > 0) throw InvalidArgumentError.format(issues);
  return copyClaim(c);
}

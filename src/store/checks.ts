/**
 * Trigger states and idempotency claims as every store handles them: the copies made going in
 * and out, the checks a claim passes before it is stored, and when a claim counts as expired.
 *
 * Expiry is judged against the new claim's `createdAt` (the caller's clock, injectable in
 * tests), not the store's wall clock: a stored claim is live while its `expiresAt` is later than
 * the `createdAt` of the claim that asks for the key.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import type { IdempotencyClaim, Store, TriggerState } from './types.ts';

/** Longest scope and key of an idempotency claim, characters (keeps KV keys within limits). */
export const MAX_IDEMPOTENCY_TOKEN_LENGTH = 256;
/** Stores that purge expired claims themselves do it once per this many claims. */
export const PURGE_EVERY_CLAIMS = 64;
/** Most expired claims removed by one purge, so a claim never waits on a long delete. */
export const PURGE_BATCH = 500;

/** The trigger-state and idempotency part of the Store, as each implementation builds it. */
export type TriggerStoreParts = Pick<
  Store,
  | 'getTriggerState'
  | 'putTriggerState'
  | 'listTriggerStates'
  | 'deleteTriggerState'
  | 'claimIdempotencyKey'
>;

/** A validated claim with its times in epoch milliseconds. */
export interface CheckedClaim {
  claim: IdempotencyClaim;
  createdMs: number;
  expiresMs: number;
}

/** A copy of a trigger state with every field present; throws for an empty id. */
export function copyTriggerState(s: TriggerState): TriggerState {
  if (typeof s.id !== 'string' || s.id.length === 0) {
    throw InvalidArgumentError.format([{ path: 'id', message: 'must be a non-empty string' }]);
  }
  let lastResult: TriggerState['lastResult'] = null;
  if (s.lastResult != null) {
    lastResult = { status: s.lastResult.status };
    if (s.lastResult.executionId !== undefined) lastResult.executionId = s.lastResult.executionId;
    if (s.lastResult.reason !== undefined) lastResult.reason = s.lastResult.reason;
  }
  return {
    id: s.id,
    workflowId: s.workflowId,
    paused: s.paused === true,
    lastFireAt: s.lastFireAt ?? null,
    lastResult,
    updatedAt: s.updatedAt,
  };
}

/** A copy of a claim with exactly its five fields. */
export function copyClaim(c: IdempotencyClaim): IdempotencyClaim {
  return {
    scope: c.scope,
    key: c.key,
    executionId: c.executionId,
    createdAt: c.createdAt,
    expiresAt: c.expiresAt,
  };
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

/** Validates a claim (non-empty bounded scope/key, ISO times, expiresAt after createdAt). */
export function checkClaim(c: IdempotencyClaim): CheckedClaim {
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
  return { claim: copyClaim(c), createdMs, expiresMs };
}

/** True when `stored` no longer holds its key at `nowMs` (the asking claim's createdAt). */
export function isClaimExpired(stored: IdempotencyClaim, nowMs: number): boolean {
  const expiresMs = Date.parse(stored.expiresAt);
  return Number.isNaN(expiresMs) || expiresMs <= nowMs;
}

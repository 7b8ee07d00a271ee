/**
 * When an idempotency claim counts as expired, and how often the stores that purge expired
 * claims themselves do it.
 *
 * Expiry is judged against the new claim's `createdAt` (the caller's clock, injectable in
 * tests), not the store's wall clock: a stored claim is live while its `expiresAt` is later than
 * the `createdAt` of the claim that asks for the key.
 * @module
 */
import type { IdempotencyClaim } from './roles/index.ts';

/** Stores that purge expired claims themselves do it once per this many claims. */
export const PURGE_EVERY_CLAIMS = 64;
/** Most expired claims removed by one purge, so a claim never waits on a long delete. */
export const PURGE_BATCH = 500;

/** A claim's times in epoch milliseconds (the claim was checked: both parse). */
export function claimTimes(c: IdempotencyClaim): { createdMs: number; expiresMs: number } {
  return { createdMs: Date.parse(c.createdAt), expiresMs: Date.parse(c.expiresAt) };
}

/** True when `stored` no longer holds its key at `nowMs` (the asking claim's createdAt). */
export function isClaimExpired(stored: IdempotencyClaim, nowMs: number): boolean {
  const expiresMs = Date.parse(stored.expiresAt);
  return Number.isNaN(expiresMs) || expiresMs <= nowMs;
}

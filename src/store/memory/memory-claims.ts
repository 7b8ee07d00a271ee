/**
 * Idempotency claims of the in-memory store, in one Map. A claim is checked and stored in one
 * synchronous step, so concurrent claims of one key cannot both win; expired claims are dropped
 * when their key is claimed again and, a bounded batch at a time, every PURGE_EVERY_CLAIMS
 * claims. Claims arrive checked and copied (checkedStore).
 * @module
 */
import { claimTimes, isClaimExpired, PURGE_BATCH, PURGE_EVERY_CLAIMS } from '../claim-expiry.ts';
import type { ClaimStore, IdempotencyClaim } from '../roles/index.ts';

/** The claims role of a memory store. */
export function createMemoryClaims(): ClaimStore {
  /** `JSON.stringify([scope, key])` → claim; insertion order is roughly claim order. */
  const claims = new Map<string, IdempotencyClaim>();
  let claimCount = 0;

  const purge = (nowMs: number): void => {
    let removed = 0;
    for (const [k, c] of claims) {
      if (removed >= PURGE_BATCH) break;
      if (isClaimExpired(c, nowMs)) {
        claims.delete(k);
        removed++;
      }
    }
  };

  return {
    async claimIdempotencyKey(claim) {
      const { createdMs } = claimTimes(claim);
      const k = JSON.stringify([claim.scope, claim.key]);
      const existing = claims.get(k);
      if (existing !== undefined && !isClaimExpired(existing, createdMs)) {
        return { claim: existing, created: false };
      }
      claims.delete(k);
      claims.set(k, claim);
      if (++claimCount % PURGE_EVERY_CLAIMS === 0) purge(createdMs);
      return { claim, created: true };
    },
  };
}

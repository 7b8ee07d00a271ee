/**
 * Trigger states and idempotency claims of the in-memory store, in two Maps. A claim is checked
 * and stored in one synchronous step, so concurrent claims of one key cannot both win; expired
 * claims are dropped when their key is claimed again and, a bounded batch at a time, every
 * PURGE_EVERY_CLAIMS claims.
 * @module
 */
import {
  checkClaim,
  copyClaim,
  copyTriggerState,
  isClaimExpired,
  PURGE_BATCH,
  PURGE_EVERY_CLAIMS,
  type TriggerStoreParts,
} from './trigger-records.ts';
import type { IdempotencyClaim, TriggerState } from './types.ts';

/** The trigger part of a memory store; `open()` throws once the store is closed. */
export function createMemoryTriggers(open: () => void): TriggerStoreParts {
  const states = new Map<string, TriggerState>();
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
    async getTriggerState(triggerId) {
      open();
      const s = states.get(triggerId);
      return s === undefined ? undefined : copyTriggerState(s);
    },

    async putTriggerState(state) {
      open();
      const copy = copyTriggerState(state);
      states.set(copy.id, copy);
    },

    async listTriggerStates() {
      open();
      return [...states.keys()].sort().map((id) => copyTriggerState(states.get(id)!));
    },

    async deleteTriggerState(triggerId) {
      open();
      states.delete(triggerId);
    },

    async claimIdempotencyKey(input) {
      open();
      const { claim, createdMs } = checkClaim(input);
      const k = JSON.stringify([claim.scope, claim.key]);
      const existing = claims.get(k);
      if (existing !== undefined && !isClaimExpired(existing, createdMs)) {
        return { claim: copyClaim(existing), created: false };
      }
      claims.delete(k);
      claims.set(k, claim);
      if (++claimCount % PURGE_EVERY_CLAIMS === 0) purge(createdMs);
      return { claim: copyClaim(claim), created: true };
    },
  };
}

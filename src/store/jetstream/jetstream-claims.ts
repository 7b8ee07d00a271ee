/**
 * Idempotency claims on JetStream KV: `<scope>.<key>` in the idempotency bucket. `kv.create`
 * writes the key only when it is absent (or deleted), so of many concurrent claims, in any
 * number of processes, exactly one creates it. A loser reads the stored claim: live, it is the
 * answer; expired (its `expiresAt` not after the new claim's `createdAt`), it is replaced by an
 * update checked against the revision read, so again only one replacer wins. The bucket's
 * max_age removes claims nobody asks for again (IDEMPOTENCY_BUCKET_MAX_AGE_MS). Claims arrive
 * checked (checkedStore).
 * @module
 */
import { claimTimes, isClaimExpired } from '../claim-expiry.ts';
import type { ClaimStore, IdempotencyClaim } from '../roles/index.ts';
import type { JetStreamContext } from './jetstream-context.ts';
import { isWrongLastSequence, tooManyConflicts } from './jetstream-errors.ts';
import { storeKeys } from './jetstream-names.ts';
import { encodeJson, entryValue } from './jetstream-revisions.ts';

/** Runs `write`; resolves false instead of rejecting when the key's revision was not the expected one. */
async function unlessConflict(write: () => Promise<number>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (err) {
    if (isWrongLastSequence(err)) return false;
    throw err;
  }
}

/** The claims role of the JetStream store over the idempotency bucket of `ctx`. */
export function createJetStreamClaims(ctx: JetStreamContext): ClaimStore {
  const { idempotency } = ctx;

  return {
    async claimIdempotencyKey(claim) {
      const { createdMs } = claimTimes(claim);
      const key = storeKeys.idempotencyClaim(claim.scope, claim.key);
      const data = encodeJson(claim);
      const attempts = ctx.opts.maxUpdateAttempts;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (await unlessConflict(() => idempotency.create(key, data))) {
          return { claim, created: true };
        }
        const stored = entryValue<IdempotencyClaim>(await idempotency.get(key));
        // Deleted or aged out between the two calls: try to create it again.
        if (stored === null) continue;
        if (!isClaimExpired(stored.value, createdMs)) {
          return { claim: stored.value, created: false };
        }
        if (await unlessConflict(() => idempotency.update(key, data, stored.revision))) {
          return { claim, created: true };
        }
      }
      throw tooManyConflicts(key, attempts);
    },
  };
}

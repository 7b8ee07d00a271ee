/**
 * Trigger states and idempotency claims on JetStream KV.
 *
 * - Trigger states: `<triggerId>` in the triggers bucket, written with a plain put (last write
 *   wins, as in the other stores); listing scans the keys (O(declared triggers)).
 * - Claims: `<scope>.<key>` in the idempotency bucket. `kv.create` writes the key only when it
 *   is absent (or deleted), so of many concurrent claims, in any number of processes, exactly
 *   one creates it. A loser reads the stored claim: live, it is the answer; expired (its
 *   `expiresAt` not after the new claim's `createdAt`), it is replaced by an update checked
 *   against the revision read, so again only one replacer wins. The bucket's max_age removes
 *   claims nobody asks for again (IDEMPOTENCY_BUCKET_MAX_AGE_MS).
 * @module
 */
import type { JetStreamContext } from './jetstream-context.ts';
import { isWrongLastSequence, tooManyConflicts } from './jetstream-errors.ts';
import { storeKeys } from './jetstream-names.ts';
import { encodeJson, entryValue } from './jetstream-revisions.ts';
import { listKeys, mapBounded } from './jetstream-scan.ts';
import {
  checkClaim,
  copyClaim,
  copyTriggerState,
  isClaimExpired,
  type TriggerStoreParts,
} from './trigger-records.ts';
import type { IdempotencyClaim, TriggerState } from './types.ts';

/** Reads in flight while listing trigger states. */
const READ_IN_FLIGHT = 16;

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

/** The trigger part of the JetStream store over the buckets of `ctx`. */
export function createJetStreamTriggers(ctx: JetStreamContext): TriggerStoreParts {
  const { triggers, idempotency } = ctx;

  const getState = async (triggerId: string): Promise<TriggerState | undefined> => {
    const v = entryValue<TriggerState>(await triggers.get(storeKeys.triggerState(triggerId)));
    return v === null ? undefined : copyTriggerState(v.value);
  };

  return {
    getTriggerState: getState,

    async putTriggerState(state) {
      const copy = copyTriggerState(state);
      await triggers.put(storeKeys.triggerState(copy.id), encodeJson(copy));
    },

    async listTriggerStates() {
      const keys = await listKeys(triggers, storeKeys.allTriggerStates);
      const states = await mapBounded(keys, READ_IN_FLIGHT, async (key) =>
        entryValue<TriggerState>(await triggers.get(key)),
      );
      return states
        .filter((v) => v !== null)
        .map((v) => copyTriggerState(v.value))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    async deleteTriggerState(triggerId) {
      const key = storeKeys.triggerState(triggerId);
      const entry = await triggers.get(key);
      if (entry !== null && entry.operation === 'PUT') await triggers.delete(key);
    },

    async claimIdempotencyKey(input) {
      const { claim, createdMs } = checkClaim(input);
      const key = storeKeys.idempotencyClaim(claim.scope, claim.key);
      const data = encodeJson(claim);
      const attempts = ctx.opts.maxUpdateAttempts;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (await unlessConflict(() => idempotency.create(key, data))) {
          return { claim: copyClaim(claim), created: true };
        }
        const stored = entryValue<IdempotencyClaim>(await idempotency.get(key));
        // Deleted or aged out between the two calls: try to create it again.
        if (stored === null) continue;
        if (!isClaimExpired(stored.value, createdMs)) {
          return { claim: copyClaim(stored.value), created: false };
        }
        if (await unlessConflict(() => idempotency.update(key, data, stored.revision))) {
          return { claim: copyClaim(claim), created: true };
        }
      }
      throw tooManyConflicts(key, attempts);
    },
  };
}

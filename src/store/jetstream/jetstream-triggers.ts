/**
 * Trigger states on JetStream KV: `<triggerId>` in the triggers bucket, written with a plain put
 * (last write wins, as in the other stores); listing scans the keys (O(declared triggers)).
 * States arrive checked and copied (checkedStore).
 * @module
 */
import { byId } from '../record-copy.ts';
import type { TriggerState, TriggerStore } from '../roles/index.ts';
import type { JetStreamContext } from './jetstream-context.ts';
import { storeKeys } from './jetstream-names.ts';
import { encodeJson, entryValue } from './jetstream-revisions.ts';
import { listKeys, mapBounded } from './jetstream-scan.ts';

/** Reads in flight while listing trigger states. */
const READ_IN_FLIGHT = 16;

/** The trigger-states role of the JetStream store over the triggers bucket of `ctx`. */
export function createJetStreamTriggers(ctx: JetStreamContext): TriggerStore {
  const { triggers } = ctx;

  return {
    async getTriggerState(triggerId) {
      const v = entryValue<TriggerState>(await triggers.get(storeKeys.triggerState(triggerId)));
      return v === null ? undefined : v.value;
    },

    async putTriggerState(state) {
      await triggers.put(storeKeys.triggerState(state.id), encodeJson(state));
    },

    async listTriggerStates() {
      const keys = await listKeys(triggers, storeKeys.allTriggerStates);
      const states = await mapBounded(keys, READ_IN_FLIGHT, async (key) =>
        entryValue<TriggerState>(await triggers.get(key)),
      );
      return states
        .filter((v) => v !== null)
        .map((v) => v.value)
        .sort(byId);
    },

    async deleteTriggerState(triggerId) {
      const key = storeKeys.triggerState(triggerId);
      const entry = await triggers.get(key);
      if (entry !== null && entry.operation === 'PUT') await triggers.delete(key);
    },
  };
}

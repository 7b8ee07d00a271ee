/**
 * Sessions on JetStream KV: `<sessionId>` in the sessions bucket, written with a plain put (last
 * write wins, as in the other stores: one process owns a session and writes its state in
 * order); listing scans the keys (O(sessions), bounded by the sessions' limit). Records arrive
 * checked and copied (checkedStore).
 * @module
 */
import { byId } from '../record-copy.ts';
import type { SessionRecord, SessionStore } from '../roles/index.ts';
import type { JetStreamContext } from './jetstream-context.ts';
import { storeKeys } from './jetstream-names.ts';
import { encodeJson, entryValue } from './jetstream-revisions.ts';
import { listKeys, mapBounded } from './jetstream-scan.ts';

/** Reads in flight while listing sessions. */
const READ_IN_FLIGHT = 16;

/** The sessions role of the JetStream store over the sessions bucket of `ctx`. */
export function createJetStreamSessions(ctx: JetStreamContext): SessionStore {
  const { sessions } = ctx;
  const read = async (key: string): Promise<SessionRecord | undefined> => {
    const v = entryValue<SessionRecord>(await sessions.get(key));
    return v === null ? undefined : v.value;
  };

  return {
    async putSession(record) {
      await sessions.put(storeKeys.session(record.id), encodeJson(record));
    },

    getSession: (id) => read(storeKeys.session(id)),

    async listSessions() {
      const keys = await listKeys(sessions, storeKeys.allSessions);
      const records = await mapBounded(keys, READ_IN_FLIGHT, read);
      return records.filter((r) => r !== undefined).sort(byId);
    },

    async deleteSession(id) {
      const key = storeKeys.session(id);
      const entry = await sessions.get(key);
      if (entry === null || entry.operation !== 'PUT') return false;
      await sessions.delete(key);
      return true;
    },
  };
}

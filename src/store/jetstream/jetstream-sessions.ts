/**
 * Sessions on JetStream KV: `<sessionId>` in the sessions bucket, written with a plain put (last
 * write wins, as in the other stores: one process owns a session and writes its state in
 * order); listing scans the keys (O(sessions), bounded by the sessions' limit).
 * @module
 */
import type { JetStreamContext } from './jetstream-context.ts';
import { storeKeys } from './jetstream-names.ts';
import { encodeJson, entryValue } from './jetstream-revisions.ts';
import { listKeys, mapBounded } from './jetstream-scan.ts';
import { byId, copySessionRecord, type SessionStoreParts } from './session-records.ts';
import type { SessionRecord } from './types.ts';

/** Reads in flight while listing sessions. */
const READ_IN_FLIGHT = 16;

/** The session part of the JetStream store over the sessions bucket of `ctx`. */
export function createJetStreamSessions(ctx: JetStreamContext): SessionStoreParts {
  const { sessions } = ctx;
  const read = async (key: string): Promise<SessionRecord | undefined> => {
    const v = entryValue<SessionRecord>(await sessions.get(key));
    return v === null ? undefined : copySessionRecord(v.value);
  };

  return {
    async putSession(record) {
      const copy = copySessionRecord(record);
      await sessions.put(storeKeys.session(copy.id), encodeJson(copy));
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

/**
 * Sessions of the in-memory store: one Map of copies.
 * @module
 */
import { byId, copySessionRecord, type SessionStoreParts } from './session-records.ts';
import type { SessionRecord } from './types.ts';

/** The session part of a memory store; `open()` throws once the store is closed. */
export function createMemorySessions(open: () => void): SessionStoreParts {
  const sessions = new Map<string, SessionRecord>();
  return {
    async putSession(record) {
      open();
      const copy = copySessionRecord(record);
      sessions.set(copy.id, copy);
    },

    async getSession(id) {
      open();
      const r = sessions.get(id);
      return r === undefined ? undefined : copySessionRecord(r);
    },

    async listSessions() {
      open();
      return [...sessions.values()].map(copySessionRecord).sort(byId);
    },

    async deleteSession(id) {
      open();
      return sessions.delete(id);
    },
  };
}

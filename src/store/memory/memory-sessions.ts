/**
 * Sessions of the in-memory store: one Map of records. Records arrive as copies and leave
 * through copies (checkedStore), so the Map's objects are never shared.
 * @module
 */
import { byId } from '../record-copy.ts';
import type { SessionRecord, SessionStore } from '../roles/index.ts';

/** The sessions role of a memory store. */
export function createMemorySessions(): SessionStore {
  const sessions = new Map<string, SessionRecord>();
  return {
    async putSession(record) {
      sessions.set(record.id, record);
    },

    async getSession(id) {
      return sessions.get(id);
    },

    async listSessions() {
      return [...sessions.values()].sort(byId);
    },

    async deleteSession(id) {
      return sessions.delete(id);
    },
  };
}

/**
 * The sessions role of the Store: each session's definition and last known state.
 * @module
 */
// eslint-disable-next-line no-restricted-imports -- cycle: sessions/index.ts imports store/index.ts
import type { SessionActivity, SessionDefinition, SessionStatus } from '../../sessions/types.ts';

/** A session's definition and last known state, as stored. */
export interface SessionRecord {
  id: string;
  /** The process (node) that runs it. */
  node: string | null;
  definition: SessionDefinition;
  status: SessionStatus;
  activity: SessionActivity | null;
  pid: number | null;
  /** Automatic restarts so far. */
  restarts: number;
  /** Times of the automatic restarts within the restart window. */
  recentRestarts: string[];
  exitCode: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  awaitingSince: string | null;
}

/** The sessions role: each session's definition and last known state. */
export interface SessionStore {
  /** Writes (upserts) a session's definition and last known state; throws for an empty id. */
  putSession(record: SessionRecord): Promise<void>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  /** Every stored session, ordered by id (bounded by the sessions' limit). */
  listSessions(): Promise<SessionRecord[]>;
  /** Returns false when there was none. */
  deleteSession(id: string): Promise<boolean>;
}

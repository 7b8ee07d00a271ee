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
  /**
   * Sessions run by the process host: which launch of the session the host holds (under the key
   * `session:<id>:<launch>`) and how far its output was handed on, so that the next server
   * re-attaches to the same process. Absent for sessions run without a host (and in records
   * written before there was one).
   */
  hostProcess?: SessionHostProcess;
}

/** Where a session's current (or last) process stands in the process host. */
export interface SessionHostProcess {
  /** Launches of the session so far, this one included (1 for the first). */
  launch: number;
  /** Output lines (spool offsets) already handed to the events; a re-attach goes on from here. */
  offset: number;
  /** Log seq before the launch's first line: the line at offset `o` has seq `seqBase + o + 1`. */
  seqBase: number;
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

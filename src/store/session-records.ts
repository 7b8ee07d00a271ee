/**
 * Session records as every store handles them: the copy made going in and out (JSON fields
 * through JSON, as the durable stores do, so callers never share state with the store).
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import type { SessionRecord, Store } from './types.ts';

/** The session part of the Store, as each implementation builds it. */
export type SessionStoreParts = Pick<
  Store,
  'putSession' | 'getSession' | 'listSessions' | 'deleteSession'
>;

/** A copy of a session record with every field present; throws for an empty id. */
export function copySessionRecord(r: SessionRecord): SessionRecord {
  if (typeof r.id !== 'string' || r.id.length === 0) {
    throw InvalidArgumentError.format([{ path: 'id', message: 'must be a non-empty string' }]);
  }
  return {
    id: r.id,
    node: r.node ?? null,
    definition: JSON.parse(JSON.stringify(r.definition)) as SessionRecord['definition'],
    status: r.status,
    activity: r.activity ?? null,
    pid: r.pid ?? null,
    restarts: r.restarts ?? 0,
    recentRestarts: [...(r.recentRestarts ?? [])],
    exitCode: r.exitCode ?? null,
    lastError: r.lastError ?? null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    startedAt: r.startedAt ?? null,
    awaitingSince: r.awaitingSince ?? null,
  };
}

/** Orders records by id. */
export function byId(a: SessionRecord, b: SessionRecord): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

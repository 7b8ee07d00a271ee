/**
 * Session views from stored records, and the list's filters and paging (ordered by id, which is
 * creation order; the cursor is the store's opaque cursor of the last id on the page).
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { decodeCursor, encodeCursor, resolvePageLimit } from '../store/index.ts';
import type { SessionRecord } from '../store/index.ts';
import type { SessionQuery, SessionStatus, SessionView } from './types.ts';

/** Every session status, in lifecycle order. */
export const SESSION_STATUSES: readonly SessionStatus[] = [
  'created',
  'starting',
  'running',
  'stopping',
  'stopped',
  'crashed',
  'restarting',
  'failed',
];

/** The view of a stored record (a session this process does not run). */
export function recordView(r: SessionRecord): SessionView {
  return {
    id: r.id,
    name: r.definition.name,
    status: r.status,
    activity: r.activity,
    pid: r.pid,
    restarts: r.restarts,
    tags: [...r.definition.tags],
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    startedAt: r.startedAt,
    awaitingSince: r.awaitingSince,
    exitCode: r.exitCode,
    lastError: r.lastError,
    definition: r.definition,
    node: r.node,
  };
}

/** Filters (status, tag), orders by id and pages `views`. */
export function listSessionViews(
  views: SessionView[],
  query: SessionQuery,
): { items: SessionView[]; nextCursor: string | null } {
  if (query.status !== undefined && !SESSION_STATUSES.includes(query.status)) {
    throw InvalidArgumentError.format([
      { path: 'status', message: `must be one of ${SESSION_STATUSES.join(', ')}` },
    ]);
  }
  const limit = resolvePageLimit(query.limit);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const rows = views
    .filter(
      (v) =>
        (query.status === undefined || v.status === query.status) &&
        (query.tag === undefined || v.tags.includes(query.tag)) &&
        (after === undefined || v.id > after),
    )
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(items[limit - 1]!.id) };
}

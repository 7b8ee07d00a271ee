/**
 * Paging shared by every store: page-size resolution, opaque cursors (base64url of the last id
 * on the page) and the "fetch one more row to know whether there is a next page" rule.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Page } from './roles/index.ts';

/** Page size when a query sets none. */
export const DEFAULT_PAGE_LIMIT = 50;
/** Largest page size; larger requests are clamped to it. */
export const MAX_PAGE_LIMIT = 500;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The cursor that continues a list after the item with id `lastId`. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

/** The last id carried by a cursor; throws InvalidArgumentError on anything we did not issue. */
export function decodeCursor(cursor: string): string {
  if (typeof cursor === 'string' && BASE64URL.test(cursor)) {
    const id = Buffer.from(cursor, 'base64url').toString('utf8');
    if (id.length > 0 && encodeCursor(id) === cursor) return id;
  }
  throw InvalidArgumentError.format([{ path: 'cursor', message: 'is not a valid cursor' }]);
}

/** The page size for `limit`: default 50, clamped to 500, and a positive integer. */
export function resolvePageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw InvalidArgumentError.format([
      { path: 'limit', message: `must be a positive integer, got ${String(limit)}` },
    ]);
  }
  return Math.min(limit, MAX_PAGE_LIMIT);
}

/**
 * Builds a page from up to `limit + 1` rows read in list order: the extra row only says that
 * a next page exists, and the cursor points after the last row kept.
 */
export function toPage<T>(rows: T[], limit: number, idOf: (row: T) => string): Page<T> {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(idOf(items[limit - 1]!)) };
}

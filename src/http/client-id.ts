/**
 * Who sends an HTTP request, for the rate limiter's per-client buckets: the hash of its bearer
 * token when it presents one (so the token itself is never kept), else its remote address.
 * Requests without a socket (`app.request()` in tests) share one `http:local` bucket.
 * @module
 */
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { bearerToken } from './auth.ts';

/** Hex digits of the token hash kept in a client id (64 bits: collisions are not a concern). */
const HASH_CHARS = 16;

/** The caller identity of a request: `http:token:<sha256 prefix>`, `http:ip:<address>`. */
export function httpClientId(c: Context): string {
  const token = bearerToken(c.req.header('authorization'));
  if (token !== undefined) {
    const hash = createHash('sha256').update(token, 'utf8').digest('hex');
    return `http:token:${hash.slice(0, HASH_CHARS)}`;
  }
  const address = remoteAddress(c);
  return address === undefined ? 'http:local' : `http:ip:${address}`;
}

/** The peer address under @hono/node-server; undefined without a socket. */
function remoteAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address || undefined;
  } catch {
    return undefined;
  }
}

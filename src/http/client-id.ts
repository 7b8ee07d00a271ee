/**
 * Who sends an HTTP request, for the rate limiter's per-client buckets: its remote address.
 * Not the bearer token: the service has one token (STATOR_API_TOKEN), shared by every client,
 * so it would put all of them in one bucket; and without auth a client could invent tokens to
 * get fresh buckets. Behind a reverse proxy every request comes from the proxy's address
 * (forwarded headers are not trusted). Requests without a socket (`app.request()` in tests)
 * share one `http:local` bucket.
 * @module
 */
import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';

/** The caller identity of a request: `http:<remote address>`, or `http:local`. */
export function httpClientId(c: Context): string {
  const address = remoteAddress(c);
  return address === undefined ? 'http:local' : `http:${address}`;
}

/** The peer address under @hono/node-server; undefined without a socket. */
function remoteAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Bearer-token middleware: compares the presented token with the configured one in constant
 * time (both hashed first, so lengths never leak), answering 401 `unauthorized` otherwise.
 * Streams a browser opens (SSE, WebSocket) may carry it as `?token=` instead.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { UnauthorizedError } from '../errors.ts';
import { errorResponse } from './error-response.ts';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** True when `presented` equals `expected`, in time independent of where they differ. */
export function tokensEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Extracts the token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Options of requireBearerToken. */
export interface BearerAuthOptions {
  /**
   * Paths that also accept the token as `?token=` (browsers cannot set headers on EventSource
   * and WebSocket). A query string can end up in proxy logs: prefer the header elsewhere.
   */
  queryTokenPaths?: readonly string[];
}

/** Middleware requiring `Authorization: Bearer <token>` (or `?token=` on the given paths). */
export function requireBearerToken(token: string, opts: BearerAuthOptions = {}): MiddlewareHandler {
  const queryPaths = new Set(opts.queryTokenPaths ?? []);
  return async function bearerAuth(c, next) {
    const presented =
      bearerToken(c.req.header('authorization')) ??
      (queryPaths.has(c.req.path) ? c.req.query('token') || undefined : undefined);
    if (presented === undefined || !tokensEqual(presented, token)) {
      c.header('WWW-Authenticate', 'Bearer realm="stator"');
      return errorResponse(c, new UnauthorizedError());
    }
    await next();
  };
}

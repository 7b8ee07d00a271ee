/**
 * Bearer-token middleware: compares the presented token with the configured one in constant
 * time (both hashed first, so lengths never leak), answering 401 `unauthorized` otherwise.
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

/** Middleware requiring `Authorization: Bearer <token>`. */
export function requireBearerToken(token: string): MiddlewareHandler {
  return async function bearerAuth(c, next) {
    const presented = bearerToken(c.req.header('authorization'));
    if (presented === undefined || !tokensEqual(presented, token)) {
      c.header('WWW-Authenticate', 'Bearer realm="stator"');
      return errorResponse(c, new UnauthorizedError());
    }
    await next();
  };
}

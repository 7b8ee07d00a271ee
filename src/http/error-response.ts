/**
 * The one place that turns errors into HTTP responses: `{"error": {code, message, details,
 * recoverable}}` with the status from `httpStatus(code)`, and a `Retry-After` header (whole
 * seconds, at least 1) for every error that says when to come back (`details.retryAfterMs`:
 * `rate_limited`, `shutting_down`).
 * @module
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { NotFoundError, httpStatus, toStatorError, toWire } from '../errors.ts';

/** Answers `err` as a structured JSON error; `status` overrides the code's default. */
export function errorResponse(c: Context, err: unknown, status?: number): Response {
  const wire = toWire(err);
  const seconds = retryAfterSeconds(wire.details);
  const headers = seconds === undefined ? undefined : { 'Retry-After': String(seconds) };
  return c.json(
    { error: wire },
    (status ?? httpStatus(wire.code)) as ContentfulStatusCode,
    headers,
  );
}

/** `details.retryAfterMs` as the whole seconds of a `Retry-After` header (at least 1). */
export function retryAfterSeconds(details: unknown): number | undefined {
  const ms = (details as { retryAfterMs?: unknown } | null | undefined)?.retryAfterMs;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return undefined;
  return Math.max(1, Math.ceil(ms / 1000));
}

/** Builds the app's `onError` handler; internal errors are logged with their stack. */
export function createErrorHandler(logger?: Logger): (err: Error, c: Context) => Response {
  return function onError(err, c) {
    const e = toStatorError(err);
    if (e.code === 'internal') {
      logger?.error({ err, method: c.req.method, path: c.req.path }, 'request failed');
    }
    return errorResponse(c, e);
  };
}

/** The app's `notFound` handler: a structured 404 naming the route. */
export function notFoundHandler(c: Context): Response {
  return errorResponse(c, new NotFoundError('route', `${c.req.method} ${c.req.path}`));
}

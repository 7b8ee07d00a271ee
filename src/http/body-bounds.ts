/**
 * A middleware that holds a JSON body to the input bounds before any route reads it: for
 * routes that take JSON whatever the content type says and parse it outside the HTTP layer
 * (`/hooks/*`, whose body becomes a run's input in triggers/webhook-body.ts). It reads a copy of
 * the body, so the route still gets the exact bytes (a signature covers them); mount it after
 * the body limit, which bounds what it reads.
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import { DEFAULT_INPUT_BOUNDS, checkJsonBounds, type ResolvedInputBounds } from '../parse/index.ts';

const decoder = new TextDecoder();

/** Refuses (400 `input_bounds`, through the app's onError) a body past `bounds`. */
export function jsonBodyBounds(
  bounds: ResolvedInputBounds = DEFAULT_INPUT_BOUNDS,
): MiddlewareHandler {
  return async function jsonBodyBounds(c, next) {
    if (c.req.raw.body) {
      const bytes = new Uint8Array(await c.req.raw.clone().arrayBuffer());
      if (bytes.length > 0) checkJsonBounds(decoder.decode(bytes), bounds);
    }
    await next();
  };
}

/**
 * Bounded JSON: the pre-scan (json-scan.ts), then `JSON.parse`.
 * @module
 */
import { MalformedPayloadError } from '../errors.ts';
import { DEFAULT_INPUT_BOUNDS } from './bounds.ts';
import type { ResolvedInputBounds } from './bounds.ts';
import { checkJsonBounds } from './json-scan.ts';

/**
 * Parses JSON text within `bounds`. Throws InputBoundsError past a bound and
 * MalformedPayloadError (`malformed_json`, the message prefixed by `what`) on bad JSON.
 */
export function parseBoundedJson(
  text: string,
  bounds: ResolvedInputBounds = DEFAULT_INPUT_BOUNDS,
  what = 'malformed JSON',
): unknown {
  checkJsonBounds(text, bounds);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new MalformedPayloadError(`${what}: ${(err as Error).message}`, err);
  }
}

/**
 * The bounds every body and payload is parsed within: nesting depth, YAML aliases, keys and
 * items in total, and string length. Given as InputBounds, resolved once into
 * ResolvedInputBounds; the refusals are InputBoundsError (`input_bounds`, 400) naming the bound.
 * Total size is bounded before parsing, by the HTTP body limit and `DEFAULT_MAX_PAYLOAD_BYTES`
 * (`payload_too_large`, 413).
 * @module
 */
import { z } from 'zod';
import { InputBoundsError, InvalidArgumentError } from '../errors.ts';

/** Default of `InputBounds.maxDepth`: arrays and objects nested in one another. */
export const DEFAULT_MAX_DEPTH = 64;
/** Default of `InputBounds.maxAliases`: alias nodes (`*name`) in one YAML document. */
export const DEFAULT_MAX_ALIASES = 100;
/** Default of `InputBounds.maxEntries`: array items plus object keys, counted over the whole value. */
export const DEFAULT_MAX_ENTRIES = 250_000;
/** Default of `InputBounds.maxStringLength`: UTF-16 code units of one string or key. */
export const DEFAULT_MAX_STRING_LENGTH = 256 * 1024;
/** Largest payload of a `stator.api.*` request, like the HTTP body limit: 1 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/** Options of the bounded parsers. */
export interface InputBounds {
  /** Deepest nesting of arrays and objects. @default 64 */
  maxDepth?: number;
  /** Most alias nodes in a YAML document (and the `yaml` package's `maxAliasCount`). @default 100 */
  maxAliases?: number;
  /** Most array items plus object keys in one value, aliases expanded. @default 250000 */
  maxEntries?: number;
  /** Longest string or key. @default 262144 */
  maxStringLength?: number;
}

/** InputBounds with every default filled in. */
export interface ResolvedInputBounds {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxEntries: number;
  readonly maxStringLength: number;
}

/** The bounds of every body and payload unless a caller says otherwise. */
export const DEFAULT_INPUT_BOUNDS: ResolvedInputBounds = Object.freeze({
  maxDepth: DEFAULT_MAX_DEPTH,
  maxAliases: DEFAULT_MAX_ALIASES,
  maxEntries: DEFAULT_MAX_ENTRIES,
  maxStringLength: DEFAULT_MAX_STRING_LENGTH,
});

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const schema = z.strictObject({
  maxDepth: count.min(1).default(DEFAULT_MAX_DEPTH),
  maxAliases: count.default(DEFAULT_MAX_ALIASES),
  maxEntries: count.default(DEFAULT_MAX_ENTRIES),
  maxStringLength: count.default(DEFAULT_MAX_STRING_LENGTH),
});

/** Merges defaults and checks the values; InvalidArgumentError naming the field. */
export function resolveInputBounds(input: InputBounds = {}): ResolvedInputBounds {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw InvalidArgumentError.format(
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return Object.freeze(parsed.data);
}

/** The refusal of a value nested deeper than `limit`. */
export function tooDeep(limit: number): InputBoundsError {
  return new InputBoundsError('depth', limit, `input nests deeper than ${limit} levels`);
}

/** The refusal of a YAML document with more than `limit` aliases (or alias expansions). */
export function tooManyAliases(limit: number): InputBoundsError {
  return new InputBoundsError('aliases', limit, `YAML input uses more than ${limit} aliases`);
}

/** The refusal of a value with more than `limit` keys and items. */
export function tooManyEntries(limit: number): InputBoundsError {
  return new InputBoundsError('entries', limit, `input has more than ${limit} keys and items`);
}

/** The refusal of a string or key longer than `limit`. */
export function stringTooLong(limit: number): InputBoundsError {
  return new InputBoundsError(
    'string_length',
    limit,
    `input has a string longer than ${limit} characters`,
  );
}

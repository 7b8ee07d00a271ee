/**
 * The pre-scan of JSON text: one pass over the characters, before `JSON.parse` runs, that
 * measures nesting depth, keys and items, and the decoded length of every string, and stops at
 * the first bound passed. It never builds anything, so a 10,000-deep or million-item text costs
 * one loop and is refused before the parser (or anything recursive after it) sees it. For text
 * that is not JSON the numbers are approximate; `JSON.parse` then refuses it anyway.
 * @module
 */
import { DEFAULT_INPUT_BOUNDS, stringTooLong, tooDeep, tooManyEntries } from './bounds.ts';
import type { ResolvedInputBounds } from './bounds.ts';

const QUOTE = 0x22; // "
const BACKSLASH = 0x5c;
const LOWER_U = 0x75;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Refuses JSON text past `bounds` with InputBoundsError; returns nothing when it is within. */
export function checkJsonBounds(
  text: string,
  bounds: ResolvedInputBounds = DEFAULT_INPUT_BOUNDS,
): void {
  const { maxDepth, maxEntries, maxStringLength } = bounds;
  const n = text.length;
  let depth = 0;
  let entries = 0;
  let opened = false; // the last significant character opened an array or object
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) continue;
    if (opened) {
      opened = false;
      if (c !== CLOSE_BRACKET && c !== CLOSE_BRACE && ++entries > maxEntries) {
        throw tooManyEntries(maxEntries);
      }
    }
    switch (c) {
      case QUOTE: {
        let length = 0;
        for (i++; i < n; i++) {
          const d = text.charCodeAt(i);
          if (d === QUOTE) break;
          // `\uXXXX` is one code unit, like any other escape or character.
          if (d === BACKSLASH) i += text.charCodeAt(i + 1) === LOWER_U ? 5 : 1;
          length++;
        }
        if (length > maxStringLength) throw stringTooLong(maxStringLength);
        break;
      }
      case OPEN_BRACKET:
      case OPEN_BRACE:
        if (++depth > maxDepth) throw tooDeep(maxDepth);
        opened = true;
        break;
      case CLOSE_BRACKET:
      case CLOSE_BRACE:
        if (depth > 0) depth--;
        break;
      case COMMA:
        if (++entries > maxEntries) throw tooManyEntries(maxEntries);
        break;
      default:
    }
  }
}

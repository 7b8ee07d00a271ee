/**
 * The bounds checked on a value already built (a YAML document's JS value, whose aliases may
 * make it deeper or larger than its text): one iterative walk, with its own stack, that counts
 * keys and items (every appearance of a shared or cyclic object counts again), measures depth
 * and string lengths, and stops at the first bound passed, so it costs at most
 * `maxEntries` steps whatever the value.
 * @module
 */
import { DEFAULT_INPUT_BOUNDS, stringTooLong, tooDeep, tooManyEntries } from './bounds.ts';
import type { ResolvedInputBounds } from './bounds.ts';

/** Refuses a value past `bounds` with InputBoundsError; returns nothing when it is within. */
export function checkValueBounds(
  value: unknown,
  bounds: ResolvedInputBounds = DEFAULT_INPUT_BOUNDS,
): void {
  const { maxDepth, maxEntries, maxStringLength } = bounds;
  const values: unknown[] = [value];
  const depths: number[] = [0];
  let entries = 0;
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop()!;
    if (typeof v === 'string') {
      if (v.length > maxStringLength) throw stringTooLong(maxStringLength);
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > maxDepth) throw tooDeep(maxDepth);
    const items: readonly unknown[] = Array.isArray(v) ? v : Object.keys(v);
    entries += items.length;
    if (entries > maxEntries) throw tooManyEntries(maxEntries);
    if (Array.isArray(v)) {
      for (const item of items) {
        values.push(item);
        depths.push(depth + 1);
      }
      continue;
    }
    for (const key of items as string[]) {
      if (key.length > maxStringLength) throw stringTooLong(maxStringLength);
      values.push((v as Record<string, unknown>)[key]);
      depths.push(depth + 1);
    }
  }
}

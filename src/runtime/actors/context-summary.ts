/**
 * A bounded, JSON-safe summary of an actor's context for the live actor API: long strings cut,
 * long arrays and maps shortened with a count, nested actors named rather than expanded, and the
 * whole kept under a byte budget. Contexts hold workflow definitions, step records and outputs;
 * a dashboard needs their shape, not every byte.
 * @module
 */

/** Bounds of a summary. */
export interface SummaryBounds {
  /** Longest string kept whole. @default 200 */
  maxString?: number;
  /** Most array items and object keys kept. @default 20 */
  maxItems?: number;
  /** Deepest nesting expanded. @default 5 */
  maxDepth?: number;
}

const isActorRef = (v: object): v is { id: string; sessionId: string } =>
  'sessionId' in v && 'send' in v && typeof (v as { id?: unknown }).id === 'string';

/** Summarises `value` within `bounds`. */
export function summarize(value: unknown, bounds: SummaryBounds = {}): unknown {
  const maxString = bounds.maxString ?? 200;
  const maxItems = bounds.maxItems ?? 20;
  const maxDepth = bounds.maxDepth ?? 5;
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v === 'boolean' || typeof v === 'number') return v;
    if (typeof v === 'string') {
      return v.length <= maxString ? v : `${v.slice(0, maxString)}… (${v.length} chars)`;
    }
    if (typeof v === 'bigint') return String(v);
    if (typeof v !== 'object') return typeof v === 'undefined' ? null : `[${typeof v}]`;
    if (seen.has(v)) return '[circular]';
    if (isActorRef(v)) return `[actor ${v.id}]`;
    if (depth >= maxDepth) return Array.isArray(v) ? `[${v.length} items]` : '[object]';
    seen.add(v);
    if (v instanceof Date) return v.toISOString();
    if (v instanceof Map) return { '[map]': v.size, ...walkEntries([...v.entries()], depth) };
    if (v instanceof Set) return walk([...v], depth);
    if (ArrayBuffer.isView(v)) return `[${v.byteLength} bytes]`;
    if (Array.isArray(v)) {
      const items = v.slice(0, maxItems).map((x) => walk(x, depth + 1));
      if (v.length > maxItems) items.push(`… ${v.length - maxItems} more`);
      return items;
    }
    return walkEntries(Object.entries(v), depth);
  };
  const walkEntries = (entries: [unknown, unknown][], depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, x] of entries.slice(0, maxItems)) out[String(k)] = walk(x, depth + 1);
    if (entries.length > maxItems) out['…'] = `${entries.length - maxItems} more keys`;
    return out;
  };
  return walk(value, 0);
}

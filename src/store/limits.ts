/**
 * Store limits shared by every implementation: resolving them, cutting long log lines, and
 * planning the per-step log bound (which existing lines to drop, which new ones to skip).
 * @module
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../errors.ts';
import { DEFAULT_STORE_LIMITS, type StoreLimits } from './types.ts';

const limitsSchema = z.object({
  maxLogLinesPerStep: z.number().int().min(1).default(DEFAULT_STORE_LIMITS.maxLogLinesPerStep),
  maxLineLength: z.number().int().min(1).default(DEFAULT_STORE_LIMITS.maxLineLength),
});

/** Merges `input` over DEFAULT_STORE_LIMITS and validates it; throws InvalidArgumentError. */
export function resolveStoreLimits(input: Partial<StoreLimits> = {}): StoreLimits {
  const picked = {
    maxLogLinesPerStep: input.maxLogLinesPerStep,
    maxLineLength: input.maxLineLength,
  };
  const parsed = limitsSchema.safeParse(picked);
  if (!parsed.success) {
    throw InvalidArgumentError.format(
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return parsed.data;
}

/** The marker appended to a cut line, naming how many characters were removed. */
export function truncationMarker(removed: number): string {
  return `… [truncated ${removed} chars]`;
}

/** Keeps the first `max` characters of `line` and appends the marker when it was longer. */
export function truncateLine(line: string, max: number): string {
  if (line.length <= max) return line;
  let keep = max;
  // Do not split a surrogate pair.
  const last = line.charCodeAt(keep - 1);
  if (last >= 0xd800 && last <= 0xdbff) keep -= 1;
  return line.slice(0, keep) + truncationMarker(line.length - keep);
}

/** What one append does to one step's kept lines. */
export interface LogBoundPlan {
  /** Oldest stored lines to delete. */
  dropStored: number;
  /** Leading lines of this batch (for this step) never stored. */
  skipNew: number;
}

/**
 * Plans appending `incoming` lines to a step that holds `kept` lines under a bound of `max`:
 * the newest `max` of all of them stay. Dropped = dropStored + skipNew.
 */
export function planLogBound(kept: number, incoming: number, max: number): LogBoundPlan {
  if (incoming >= max) return { dropStored: kept, skipNew: incoming - max };
  return { dropStored: Math.max(0, kept + incoming - max), skipNew: 0 };
}

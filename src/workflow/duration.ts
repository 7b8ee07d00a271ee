/**
 * Durations in workflow definitions: a number of milliseconds, or a string of unit parts in
 * descending order such as `"250ms"`, `"1.5s"`, `"5m"`, `"1h"`, `"1m30s"`, `"2d"`.
 * @module
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../errors.ts';

/** The largest duration accepted, ms: the longest delay a Node timer can hold (~24.8 days). */
export const MAX_DURATION_MS = 2_147_483_647;

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: Unit[] = ['d', 'h', 'm', 's', 'ms'];

/** JSON Schema pattern of a duration string (documentation; parseDuration also checks order). */
export const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)\\s*)+$';

const FULL = new RegExp(DURATION_PATTERN);
const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/g;
const EXAMPLES = 'a string like "250ms", "1.5s", "5m", "1h" or "1m30s"';
const HINT = `expected milliseconds or ${EXAMPLES}`;

function fail(message: string): never {
  throw InvalidArgumentError.format([{ path: '', message }]);
}

function checkRange(ms: number, shown: string): number {
  if (!Number.isFinite(ms)) fail(`duration ${shown} is not a finite number`);
  if (ms < 0) fail(`duration ${shown} must not be negative`);
  if (ms > MAX_DURATION_MS) fail(`duration ${shown} exceeds the maximum of ${MAX_DURATION_MS} ms`);
  return Math.round(ms);
}

/** Parses a duration into whole milliseconds; throws InvalidArgumentError on garbage or negatives. */
export function parseDuration(v: number | string): number {
  if (typeof v === 'number') return checkRange(v, String(v));
  if (typeof v !== 'string') fail(`invalid duration: ${HINT}`);
  const text = v.trim();
  if (text.startsWith('-')) fail(`duration '${v}' must not be negative`);
  if (!FULL.test(text)) {
    if (/^\d+(\.\d+)?$/.test(text)) fail(`duration '${v}' needs a unit (ms, s, m, h or d)`);
    fail(`invalid duration '${v}': ${HINT}`);
  }
  let total = 0;
  let last = -1;
  for (const [, amount, unit] of text.matchAll(PART)) {
    const rank = UNIT_ORDER.indexOf(unit as Unit);
    if (rank <= last) fail(`invalid duration '${v}': units must appear once, largest first`);
    last = rank;
    total += Number(amount) * UNIT_MS[unit as Unit];
  }
  return checkRange(total, `'${v}'`);
}

/** Formats milliseconds as the shortest combined duration string, e.g. 90500 -> "1m30s500ms". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0ms';
  let rest = Math.round(ms);
  let out = '';
  for (const unit of UNIT_ORDER) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * UNIT_MS[unit];
  }
  return out;
}

function durationOf(min: number) {
  return z
    .union([z.number().meta({ minimum: min }), z.string().meta({ pattern: DURATION_PATTERN })], {
      error: `invalid duration: ${HINT}`,
    })
    .transform((v, ctx): number => {
      try {
        const ms = parseDuration(v);
        if (ms < min) {
          ctx.addIssue({
            code: 'custom',
            message: `duration must be at least ${min} ms`,
            input: v,
          });
          return z.NEVER;
        }
        return ms;
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message, input: v });
        return z.NEVER;
      }
    });
}

/** Zod schema of a duration >= 0, output in ms. */
export const durationSchema = durationOf(0).describe(`A duration: milliseconds or ${EXAMPLES}.`);

/** Zod schema of a duration >= 1 ms (timeouts), output in ms. */
export const positiveDurationSchema = durationOf(1).describe(
  `A positive duration: milliseconds or ${EXAMPLES}.`,
);

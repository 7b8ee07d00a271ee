/**
 * The retention setting (`STATOR_RETENTION`, `--retention`, `createStator({ retention })`): what
 * history of finished executions is kept. An age (`30d`, `12h`, `30m`, or parts such as `1d12h`),
 * a count (`100000 runs`), both (`7d,100000 runs`: a run goes once either bound says so), or
 * `forever`. Parsed once into a RetentionPolicy; `formatRetention` gives the canonical text.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';

/** What is kept: finished runs younger than `maxAgeMs`, and at most `keepRuns` of them. */
export interface RetentionPolicy {
  /** Finished runs older than this (by finish time) are pruned; absent: no age bound. */
  maxAgeMs?: number;
  /** At most this many finished runs are kept, the most recently finished; absent: no count. */
  keepRuns?: number;
}

/** The retention of a service whose configuration sets none. */
export const DEFAULT_RETENTION = '30d';
/** The setting that keeps every run. */
export const KEEP_FOREVER = 'forever';
/** Shortest age accepted: one minute. */
export const MIN_RETENTION_AGE_MS = 60_000;
/** Longest age accepted: 100 years (beyond it, keep `forever`). */
export const MAX_RETENTION_AGE_MS = 100 * 365 * 86_400_000;
/** Largest count accepted. */
export const MAX_RETENTION_RUNS = 1_000_000_000;

const UNITS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
] as const;
/** Units of formatted ages: a policy given as an object may hold seconds. */
const FORMAT_UNITS = [...UNITS, ['s', 1000], ['ms', 1]] as const;
const AGE = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/;
const COUNT = /^(\d+)\s*runs?$/;
const HINT = `expected an age (e.g. 30d, 12h, 30m), a count (e.g. 100000 runs), both separated by a comma, or '${KEEP_FOREVER}'`;

function fail(message: string): never {
  throw InvalidArgumentError.format([{ path: '', message }]);
}

/** Parses a retention setting; InvalidArgumentError saying what is accepted on anything else. */
export function parseRetention(text: string): RetentionPolicy {
  const value = text.trim().toLowerCase();
  if (value === KEEP_FOREVER) return {};
  const policy: RetentionPolicy = {};
  const parts = value.split(',').map((p) => p.trim());
  for (const part of parts) {
    const count = COUNT.exec(part);
    const age = count === null ? AGE.exec(part) : null;
    if (count !== null) {
      if (policy.keepRuns !== undefined) fail(`'${text}' sets the count twice`);
      policy.keepRuns = checkRuns(Number(count[1]), `'${part}'`);
    } else if (age !== null && part !== '') {
      if (policy.maxAgeMs !== undefined) fail(`'${text}' sets the age twice`);
      const ms = UNITS.reduce((sum, [, unitMs], i) => sum + Number(age[i + 1] ?? 0) * unitMs, 0);
      policy.maxAgeMs = checkAge(ms, `'${part}'`);
    } else {
      fail(`'${text}': ${HINT}`);
    }
  }
  return policy;
}

/** Checks a policy given as an object (the same bounds as the text); returns a copy. */
export function checkRetentionPolicy(policy: RetentionPolicy): RetentionPolicy {
  const out: RetentionPolicy = {};
  if (policy.maxAgeMs !== undefined) out.maxAgeMs = checkAge(policy.maxAgeMs, 'maxAgeMs');
  if (policy.keepRuns !== undefined) out.keepRuns = checkRuns(policy.keepRuns, 'keepRuns');
  return out;
}

function checkAge(ms: number, shown: string): number {
  if (!Number.isInteger(ms) || ms < MIN_RETENTION_AGE_MS || ms > MAX_RETENTION_AGE_MS) {
    fail(`${shown} must be an age from 1m to ${MAX_RETENTION_AGE_MS / 86_400_000}d`);
  }
  return ms;
}

function checkRuns(n: number, shown: string): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_RETENTION_RUNS) {
    fail(`${shown} must keep 1 to ${MAX_RETENTION_RUNS} runs`);
  }
  return n;
}

/** The canonical text of a policy: `30d`, `100000 runs`, `7d,100000 runs` or `forever`. */
export function formatRetention(policy: RetentionPolicy): string {
  const parts: string[] = [];
  if (policy.maxAgeMs !== undefined) {
    let rest = policy.maxAgeMs;
    let age = '';
    for (const [unit, unitMs] of FORMAT_UNITS) {
      const n = Math.floor(rest / unitMs);
      if (n > 0) age += `${n}${unit}`;
      rest -= n * unitMs;
    }
    parts.push(age);
  }
  if (policy.keepRuns !== undefined) parts.push(`${policy.keepRuns} runs`);
  return parts.length === 0 ? KEEP_FOREVER : parts.join(',');
}

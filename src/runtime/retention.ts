/**
 * The retention pruner: in the background, removes finished executions (with their steps and
 * logs) that the retention setting no longer keeps, through the store's `pruneExecutions`.
 *
 * - A pass runs `firstPassDelayMs` after start, then `intervalMs` after the end of the last, on
 *   the injected clock; its timer is unref'd (it never keeps a process alive) and cleared by
 *   `stop()`.
 * - A pass is a loop of bounded batches (`batchSize` executions per store call) with a turn of
 *   the event loop between two batches, so runs, requests and timers go on while it prunes. It
 *   ends when a batch removes fewer than `batchSize`, or when stopped.
 * - The store only ever removes finished executions; the age bound is `now - maxAgeMs` at the
 *   start of the pass.
 * - A failed pass is logged and shown in `status().lastError`; the next pass runs as planned.
 * - In a cluster every node prunes; removals are idempotent, so two nodes at once only repeat
 *   work.
 * @module
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock.ts';
import { InvalidArgumentError, toWire, type WireError } from '../errors.ts';
import { MAX_PRUNE_LIMIT, type PruneQuery, type Store } from '../store/index.ts';
import {
  DEFAULT_RETENTION,
  checkRetentionPolicy,
  formatRetention,
  parseRetention,
  type RetentionPolicy,
} from './retention-setting.ts';

/** @default 600000 (10 minutes) */
export const DEFAULT_RETENTION_INTERVAL_MS = 600_000;
/** @default 60000 (1 minute) */
export const DEFAULT_RETENTION_FIRST_PASS_MS = 60_000;
/** @default 500 */
export const DEFAULT_RETENTION_BATCH = 500;

/** Options of the pruner. */
export interface RetentionOptions {
  /** What is kept: `30d`, `100000 runs`, `7d,100000 runs`, `forever`, or a policy. @default "30d" */
  keep?: string | RetentionPolicy;
  /** Time from the end of one pass to the start of the next, ms. @default 600000 */
  intervalMs?: number;
  /** Time from start to the first pass, ms. @default 60000 */
  firstPassDelayMs?: number;
  /** Executions removed per batch (one store call). @default 500 */
  batchSize?: number;
}

/** Options after defaults and validation. */
export interface ResolvedRetentionOptions {
  policy: RetentionPolicy;
  /** The canonical setting, as /health shows it. */
  setting: string;
  intervalMs: number;
  firstPassDelayMs: number;
  batchSize: number;
}

/** What /health shows of retention. */
export interface RetentionStatus {
  /** What is kept: `30d`, `100000 runs`, `7d,100000 runs` or `forever`. */
  keep: string;
  maxAgeMs: number | null;
  keepRuns: number | null;
  /** When the last pass ended (ISO), null before the first one. */
  lastPruneAt: string | null;
  /** Executions the last pass removed. */
  lastPruned: number;
  /** Executions removed since this process started. */
  totalPruned: number;
  /** When the next pass is due (ISO); null when nothing is pruned or once stopped. */
  nextPruneAt: string | null;
  /** Why the last pass failed, null when it did not. */
  lastError: WireError | null;
}

/** Merges defaults, validates once, and names the offending field on error. */
export function resolveRetentionOptions(input: RetentionOptions = {}): ResolvedRetentionOptions {
  const keep = input.keep ?? DEFAULT_RETENTION;
  let policy: RetentionPolicy;
  try {
    policy = typeof keep === 'string' ? parseRetention(keep) : checkRetentionPolicy(keep);
  } catch (err) {
    throw InvalidArgumentError.format([
      { path: 'retention.keep', message: (err as Error).message },
    ]);
  }
  const integer = (
    path: string,
    value: number | undefined,
    fallback: number,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ) => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < min || v > max) {
      throw InvalidArgumentError.format([
        { path: `retention.${path}`, message: `must be an integer from ${min} to ${max}` },
      ]);
    }
    return v;
  };
  return {
    policy,
    setting: formatRetention(policy),
    intervalMs: integer(
      'intervalMs',
      input.intervalMs,
      DEFAULT_RETENTION_INTERVAL_MS,
      1,
      2 ** 31 - 1,
    ),
    firstPassDelayMs: integer(
      'firstPassDelayMs',
      input.firstPassDelayMs,
      DEFAULT_RETENTION_FIRST_PASS_MS,
      0,
      2 ** 31 - 1,
    ),
    batchSize: integer('batchSize', input.batchSize, DEFAULT_RETENTION_BATCH, 1, MAX_PRUNE_LIMIT),
  };
}

/** What the pruner uses. */
export interface RetentionDeps {
  store: Pick<Store, 'pruneExecutions'>;
  clock: Clock;
  logger: Logger;
  /**
   * Runs after a pass that removed executions: removes what they left elsewhere (artifacts of
   * runs the store no longer has). Its failure is logged, never the pass's.
   */
  afterPrune?: () => Promise<void>;
}

/** The background pruner; `start()` schedules its passes. */
export class Retention {
  readonly #deps: RetentionDeps;
  readonly #opts: ResolvedRetentionOptions;
  #timer: TimerHandle | undefined;
  #nextAt: number | null = null;
  #pass: Promise<number> | undefined;
  #stopped = false;
  #lastAt: number | null = null;
  #lastPruned = 0;
  #total = 0;
  #lastError: WireError | null = null;

  constructor(deps: RetentionDeps, options: ResolvedRetentionOptions) {
    this.#deps = deps;
    this.#opts = options;
  }

  /** True when the setting bounds anything (not `forever`). */
  get active(): boolean {
    const { maxAgeMs, keepRuns } = this.#opts.policy;
    return maxAgeMs !== undefined || keepRuns !== undefined;
  }

  /** Schedules the first pass (nothing when the setting keeps everything). */
  start(): void {
    if (this.active && !this.#stopped) this.#schedule(this.#opts.firstPassDelayMs);
  }

  /** Runs a pass now (or joins the one in progress); resolves to what it removed. */
  runNow(): Promise<number> {
    this.#pass ??= this.#run().finally(() => {
      this.#pass = undefined;
    });
    return this.#pass;
  }

  /** Stops: no pass is scheduled and a pass in progress ends after its current batch. */
  stop(): void {
    this.#stopped = true;
    this.#nextAt = null;
    if (this.#timer !== undefined) this.#deps.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** What is kept, and what the passes did. */
  status(): RetentionStatus {
    const { policy, setting } = this.#opts;
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      keep: setting,
      maxAgeMs: policy.maxAgeMs ?? null,
      keepRuns: policy.keepRuns ?? null,
      lastPruneAt: iso(this.#lastAt),
      lastPruned: this.#lastPruned,
      totalPruned: this.#total,
      nextPruneAt: iso(this.#nextAt),
      lastError: this.#lastError,
    };
  }

  #schedule(delayMs: number): void {
    const { clock } = this.#deps;
    this.#nextAt = clock.now() + delayMs;
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      void this.runNow().finally(() => {
        if (!this.#stopped) this.#schedule(this.#opts.intervalMs);
      });
    }, delayMs);
    (this.#timer as { unref?: () => void } | undefined)?.unref?.();
  }

  async #run(): Promise<number> {
    if (!this.active) return 0;
    const { store, clock, logger } = this.#deps;
    const { policy, batchSize } = this.#opts;
    const query: PruneQuery = { limit: batchSize };
    if (policy.maxAgeMs !== undefined) {
      query.finishedBefore = new Date(clock.now() - policy.maxAgeMs).toISOString();
    }
    if (policy.keepRuns !== undefined) query.keepNewest = policy.keepRuns;
    let removed = 0;
    let error: WireError | null = null;
    try {
      while (!this.#stopped) {
        const n = await store.pruneExecutions(query);
        removed += n;
        this.#total += n;
        if (n < batchSize) break;
        // A turn of the event loop between batches: what waits (I/O, timers) runs first.
        await nextTurn();
      }
    } catch (err) {
      // A store closed under a stopped pruner is the shutdown, not a failure.
      if (!this.#stopped) {
        error = toWire(err);
        logger.warn({ err, removed }, 'retention: pruning executions failed');
      }
    }
    this.#lastAt = clock.now();
    this.#lastPruned = removed;
    this.#lastError = error;
    if (removed > 0)
      logger.info({ removed, keep: this.#opts.setting }, 'retention: pruned executions');
    if (removed > 0 && this.#deps.afterPrune && !this.#stopped) {
      await this.#deps.afterPrune().catch((err: unknown) => {
        logger.warn({ err }, 'retention: removing artifacts of pruned executions failed');
      });
    }
    return removed;
  }
}

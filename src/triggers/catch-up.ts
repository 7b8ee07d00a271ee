/**
 * Catch-up after downtime: which of the ticks a cron trigger missed while no process ran it
 * are replayed. The reference is the trigger's stored state: the later of its last fire and its
 * last update (a resume counts as a fresh start, so ticks passed while paused never replay).
 * - `none`: nothing is replayed; the missed ticks are reported once.
 * - `last`: the latest missed tick is replayed; the others are reported.
 * - `all`: every missed tick is replayed in order, at most MAX_CATCH_UP_FIRES (the latest
 *   ones); older ones are reported.
 * Replayed ticks go through the overlap policy like any fire.
 * @module
 */
import type { Clock } from '../clock.ts';
import type { TriggerState } from '../store/index.ts';
import { MAX_CATCH_UP_FIRES, type CatchUpPolicy } from '../workflow/index.ts';
import type { Scheduler } from './scheduler.ts';
import type { TriggerActor } from './trigger-actor.ts';

/** What to do about missed ticks. */
export interface CatchUpPlan {
  /** Ticks to fire now, oldest first. */
  replay: number[];
  /** Missed ticks not replayed (a lower bound when `truncated`). */
  missed: number;
  /** More ticks were missed than were counted. */
  truncated: boolean;
}

/** The time catch-up counts from, or undefined when there is no stored state. */
export function catchUpReference(state: TriggerState | undefined): number | undefined {
  if (!state) return undefined;
  const last = state.lastFireAt ? Date.parse(state.lastFireAt) : Number.NEGATIVE_INFINITY;
  return Math.max(last, Date.parse(state.updatedAt));
}

const TICK_BATCH = 32;

/** Missed ticks counted at most (computing ticks costs 10-100 µs each). */
export const MAX_COUNTED_MISSES = 1000;

/** Plans the replay of the ticks of `schedule` in (`since`, `now`]. */
export function planCatchUp(opts: {
  scheduler: Scheduler;
  schedule: string;
  timezone?: string;
  policy: CatchUpPolicy;
  since: number;
  now: number;
  /** @default MAX_CATCH_UP_FIRES */
  max?: number;
}): CatchUpPlan {
  const { scheduler, schedule, timezone, policy, since, now } = opts;
  const max = opts.max ?? MAX_CATCH_UP_FIRES;
  const cap = Math.max(MAX_COUNTED_MISSES, max + 1);
  const ticks = dueTicks(opts, since, now, cap);
  if (ticks.length === 0) return { replay: [], missed: 0, truncated: false };
  // All counted ticks are due: there may be more, and the latest ones are not among them.
  const truncated = ticks.length === cap;
  const latest = (n: number) =>
    truncated ? scheduler.previousRuns(schedule, timezone, now, n).reverse() : ticks.slice(-n);
  const replay = policy === 'none' ? [] : latest(policy === 'last' ? 1 : max);
  return { replay, missed: ticks.length - replay.length, truncated };
}

/** Ticks in (`since`, `now`], oldest first, at most `cap`; computed in small batches. */
function dueTicks(
  opts: { scheduler: Scheduler; schedule: string; timezone?: string },
  since: number,
  now: number,
  cap: number,
): number[] {
  const ticks: number[] = [];
  let from = since;
  while (ticks.length < cap) {
    const batch = opts.scheduler.nextRuns(
      opts.schedule,
      opts.timezone,
      from,
      Math.min(TICK_BATCH, cap - ticks.length),
    );
    for (const t of batch) {
      if (t > now) return ticks;
      ticks.push(t);
    }
    if (batch.length === 0) return ticks;
    from = batch[batch.length - 1]!;
  }
  return ticks;
}

/** The message of the `trigger.skipped` event (reason `missed`) for a plan. */
export function missedMessage(plan: CatchUpPlan, policy: CatchUpPolicy): string {
  const count = `${plan.truncated ? 'at least ' : ''}${plan.missed}`;
  return `${count} tick(s) missed while the service was down were not replayed (catchUp: ${policy})`;
}

/**
 * Catches a cron trigger up after a start: reports the ticks not replayed, then fires the
 * replayed ones one after the other (each through the overlap policy). Begins on the next turn
 * of the event loop, once the service is up, so subscribers attached right after start see it.
 */
export async function replayMissed(
  trigger: TriggerActor,
  opts: {
    state: TriggerState;
    policy: CatchUpPolicy;
    scheduler: Scheduler;
    clock: Clock;
    /** Cluster: the tick claim (only the process that claims a tick replays it). */
    claimTick?: (trigger: TriggerActor, at: number) => Promise<{ executionId?: string } | false>;
    closed: () => boolean;
  },
): Promise<void> {
  const def = trigger.declared.definition;
  const since = catchUpReference(opts.state);
  if (def.kind !== 'cron' || opts.state.paused || since === undefined) return;
  await new Promise((resolve) => setImmediate(resolve));
  if (opts.closed() || trigger.stopped) return;
  const now = opts.clock.now();
  const plan = planCatchUp({
    scheduler: opts.scheduler,
    schedule: def.schedule,
    ...(def.timezone !== undefined && { timezone: def.timezone }),
    policy: opts.policy,
    since,
    now,
  });
  if (plan.missed > 0) trigger.missed(now, plan.missed, missedMessage(plan, opts.policy));
  for (const at of plan.replay) {
    if (opts.closed() || trigger.stopped) return;
    const won = opts.claimTick ? await opts.claimTick(trigger, at) : {};
    if (won !== false) await trigger.fire({ source: 'catch_up', at, ...won });
  }
}

/**
 * Triggers in a cluster: every process arms every cron trigger, so each tick is claimed in the
 * store first (`claimIdempotencyKey`, atomic on every store) and only the process that created
 * the claim fires it, with the execution id reserved in the claim. Before claiming, a process
 * aligns its actor with the stored pause, so a pause given to any process holds everywhere.
 * The same claim, keyed by the request's reply subject, lets exactly one process answer a
 * `fire` sent to `stator.trigger.<id>.in` (which every process receives).
 * @module
 */
import type { Clock } from '../clock.ts';
import type { Store } from '../store/index.ts';
import type { TriggerActor } from './trigger-actor.ts';

/** How long a claim is kept, ms (a tick is never claimed again within it). */
export const CLAIM_RETENTION_MS = 24 * 3600_000;

/** Dependencies of the claims. */
export interface ClaimDeps {
  store: Pick<Store, 'getTriggerState' | 'claimIdempotencyKey'>;
  clock: Clock;
  newExecutionId(): string;
}

/** Claims `key` in `scope` with a fresh execution id; the id when this process won, else false. */
export async function claim(
  deps: ClaimDeps,
  scope: string,
  key: string,
): Promise<{ executionId: string } | false> {
  const now = deps.clock.now();
  const executionId = deps.newExecutionId();
  const { created } = await deps.store.claimIdempotencyKey({
    scope,
    key,
    executionId,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + CLAIM_RETENTION_MS).toISOString(),
  });
  return created ? { executionId } : false;
}

/** The cluster's `claimTick`: follows the stored pause, then claims the tick. */
export function createTickClaim(
  deps: ClaimDeps,
): (trigger: TriggerActor, at: number) => Promise<{ executionId: string } | false> {
  return async function claimTick(trigger, at) {
    const stored = await deps.store.getTriggerState(trigger.id);
    const paused = stored?.paused ?? false;
    if (paused !== trigger.paused) await (paused ? trigger.pause() : trigger.resume());
    if (paused) return false;
    return claim(deps, `trigger:${trigger.id}`, String(at));
  };
}

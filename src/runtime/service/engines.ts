/**
 * The engines as the service shows and drives them: their view (health and replies on
 * `stator.engine.<id>.in`), engine commands for an engine of this process or, through its
 * inbound subject, of any other process of the cluster, and the wait for one to stop.
 * @module
 */
import type { Actor } from 'xstate';
import type { engineMachine } from '../../../machines/engine.machine.ts';
import { requestOwner, type Bus } from '../../bus/index.ts';
import { NotFoundError, StatorError, UnavailableError } from '../../errors.ts';

/** How long a command waits for the process that holds the engine. */
export const ENGINE_OWNER_TIMEOUT_MS = 5000;

/** An engine of this process. */
export interface Engine {
  id: string;
  actor: Actor<typeof engineMachine>;
  slots: number;
}

/** What health and engine commands show of an engine. */
export interface EngineView {
  id: string;
  status: string;
  slots: number;
  busy: number;
  queued: number;
}

/** What an inbound engine command needs. */
export interface EngineCommandContext {
  engines: readonly Engine[];
  /** Queues a run (an `execute` sent to an engine goes through the work queue like any other). */
  execute(workflowId: string, input?: Record<string, unknown>): Promise<{ executionId: string }>;
  /** Tells the work queue to offer work again (an engine may have been resumed). */
  poke(): void;
}

/** An engine's current state; `queued` is the work queue's size where it matters. */
export function engineView(e: Engine, queued = 0): EngineView {
  const snap = e.actor.getSnapshot();
  return {
    id: e.id,
    status: String(snap.value),
    slots: e.slots,
    busy: snap.context.busy.length,
    queued,
  };
}

/** Handles an inbound engine command (`stator.engine.<id>.in`). */
export async function engineCommand(
  ctx: EngineCommandContext,
  id: string,
  event: { type: string } & Record<string, unknown>,
): Promise<EngineView | { executionId: string }> {
  const engine = ctx.engines.find((e) => e.id === id);
  if (!engine) throw new NotFoundError('engine', id);
  if (event.type === 'execute') {
    return ctx.execute(event.workflowId as string, event.input as Record<string, unknown>);
  }
  engine.actor.send(event as never);
  ctx.poke();
  return engineView(engine);
}

/** An engine event as the command layer sends it (`health.check` reads the view). */
export type EngineEvent = { type: 'pause' | 'resume' | 'drain' | 'health.check' };

/**
 * A command for an engine wherever it runs: here, or asked of the process that holds it on
 * `stator.engine.<id>.in` (only that process subscribes it). UnavailableError when no live
 * process holds such an engine (engines have no record, so an unknown id reads the same as
 * one whose node is gone) or its process does not answer in time.
 */
export async function engineRequest(
  ctx: EngineCommandContext & { bus: Pick<Bus, 'request' | 'subjects'> },
  id: string,
  event: EngineEvent,
): Promise<EngineView> {
  if (ctx.engines.some((e) => e.id === id))
    return (await engineCommand(ctx, id, event)) as EngineView;
  try {
    const answer = await requestOwner<EngineView>(
      ctx.bus,
      ctx.bus.subjects.actorIn('engine', id),
      event,
      ENGINE_OWNER_TIMEOUT_MS,
    );
    if (answer.held) return answer.data;
    // The only process there is says so: no such engine.
    if (answer.known === false) throw new NotFoundError('engine', id);
  } catch (err) {
    if (!(err instanceof StatorError) || err.code !== 'timeout') throw err;
    throw new UnavailableError(`the process holding engine '${id}' did not answer in time`, err);
  }
  throw new UnavailableError(
    `no live process holds engine '${id}' (no such engine, or its node is gone)`,
  );
}

/** Resolves once the engine's actor has stopped (at once if it already has). */
export function untilStopped(e: Engine): Promise<void> {
  return new Promise((resolve) => {
    if (e.actor.getSnapshot().status !== 'active') return resolve();
    e.actor.subscribe({ complete: () => resolve(), error: () => resolve() });
  });
}

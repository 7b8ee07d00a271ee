/**
 * The engines of this process as the service shows and drives them: their view (health and
 * replies on `stator.engine.<id>.in`), inbound engine commands, and the wait for one to stop.
 * @module
 */
import type { Actor } from 'xstate';
import type { engineMachine } from '../../../machines/engine.machine.ts';
import { NotFoundError } from '../../errors.ts';

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

/** Resolves once the engine's actor has stopped (at once if it already has). */
export function untilStopped(e: Engine): Promise<void> {
  return new Promise((resolve) => {
    if (e.actor.getSnapshot().status !== 'active') return resolve();
    e.actor.subscribe({ complete: () => resolve(), error: () => resolve() });
  });
}

/**
 * Bare XState baselines for the noop benchmarks: what the actor library alone costs for the
 * same number of trivial actors, with no store, no events and no service around it.
 * @module
 */
import { createActor, enqueueActions, setup } from 'xstate';

/** The trivial actor: `idle --go--> done (final)`. */
const trivialMachine = setup({ types: { events: {} as { type: 'go' } } }).createMachine({
  initial: 'idle',
  states: { idle: { on: { go: 'done' } }, done: { type: 'final' } },
});

/** Creates, starts and finishes `n` independent root actors; returns wall ms. */
export function rootActorsLoop(n: number): number {
  const t0 = performance.now();
  let finished = 0;
  for (let i = 0; i < n; i++) {
    const actor = createActor(trivialMachine).start();
    actor.send({ type: 'go' });
    if (actor.getSnapshot().status === 'done') finished++;
  }
  const ms = performance.now() - t0;
  if (finished !== n) throw new Error(`only ${finished} of ${n} trivial actors finished`);
  return ms;
}

interface ParentContext {
  total: number;
  concurrency: number;
  spawned: number;
  finished: number;
}

/**
 * The shape of a Stator run without Stator: one parent spawning `total` trivial children,
 * at most `concurrency` live, each stopped when done and replaced by the next.
 */
const parentMachine = setup({
  types: {
    context: {} as ParentContext,
    input: {} as { total: number; concurrency: number },
  },
  actors: { child: trivialMachine },
  actions: {
    fill: enqueueActions(({ context, enqueue }) => {
      while (
        context.spawned - context.finished < context.concurrency &&
        context.spawned < context.total
      ) {
        const id = `c${context.spawned++}`;
        enqueue.spawnChild('child', { id });
        enqueue.sendTo(id, { type: 'go' });
      }
    }),
    reap: enqueueActions(({ context, event, enqueue }) => {
      context.finished++;
      enqueue.stopChild(event.type.slice('xstate.done.actor.'.length));
    }),
  },
}).createMachine({
  context: ({ input }) => ({ ...input, spawned: 0, finished: 0 }),
  initial: 'running',
  states: {
    running: {
      entry: 'fill',
      always: { guard: ({ context }) => context.finished === context.total, target: 'done' },
      on: { 'xstate.done.actor.*': { actions: ['reap', 'fill'] } },
    },
    done: { type: 'final' },
  },
});

/** Runs one parent over `total` children, `concurrency` live; returns wall ms. */
export async function parentChildrenLoop(total: number, concurrency: number): Promise<number> {
  const t0 = performance.now();
  const actor = createActor(parentMachine, { input: { total, concurrency } });
  const done = new Promise<void>((resolve, reject) =>
    actor.subscribe({ complete: () => resolve(), error: reject }),
  );
  actor.start();
  await done;
  return performance.now() - t0;
}

/**
 * Persist, then rehydrate (STYLE.md §12): `getPersistedSnapshot()` → JSON → `createActor(
 * machine.provide(impls), { snapshot })` resumes in the same state with the same context.
 * Workflow runs are rehydrated from their step records through the `resume` input instead.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createActor,
  fromPromise,
  setup,
  SimulatedClock,
  toPromise,
  type Actor,
  type AnyActorLogic,
  type AnyActorRef,
  type Snapshot,
} from 'xstate';
import { engineMachine } from '../../../machines/engine.machine.ts';
import { monitorMachine } from '../../../machines/monitor.machine.ts';
import {
  MAX_LOST_ATTEMPTS,
  stepMachine,
  type AttemptInput,
  type AttemptResult,
  type StepInput,
} from '../../../machines/step.machine.ts';
import { executionMachine } from '../../../machines/execution.machine.ts';
import type { ExecutionEvent, StampedEvent } from '../../../src/events.ts';
import type { StepDefinition } from '../../../src/workflow/types.ts';

const actors: AnyActorRef[] = [];
afterEach(() => {
  for (const a of actors.splice(0)) a.stop();
});
function track<T extends AnyActorRef>(a: T): T {
  actors.push(a);
  return a;
}

/** The JSON round trip a store performs. */
function roundTrip(actor: { getPersistedSnapshot(): Snapshot<unknown> }): Snapshot<unknown> {
  return JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as Snapshot<unknown>;
}

/** `createActor(logic, { snapshot })`: the input is not needed (nor used) when restoring. */
function rehydrate<T extends AnyActorLogic>(
  logic: T,
  snapshot: Snapshot<unknown>,
  clock?: SimulatedClock,
): Actor<T> {
  return createActor(logic, { snapshot, ...(clock && { clock }) } as never);
}

async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 5000 ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function step(id: string, over: Partial<StepDefinition> = {}): StepDefinition {
  return {
    id,
    kind: 'exec',
    exec: ['true'],
    needs: [],
    env: {},
    continueOnError: false,
    retry: { attempts: 1, backoffMs: 100, factor: 2, maxMs: 10_000, jitter: 0 },
    ...over,
  } as StepDefinition;
}

describe('engine rehydration', () => {
  function stubRun() {
    const runs = new Map<string, { resolve(v: unknown): void; signal: AbortSignal }>();
    const logic = fromPromise<unknown, { executionId: string; engineId: string }>(
      ({ input, signal }) =>
        new Promise((resolve) => runs.set(input.executionId, { resolve, signal })),
    );
    return { logic, runs };
  }

  it('resumes idle with the same context', () => {
    const { logic } = stubRun();
    const machine = engineMachine.provide({ actors: { execution: logic } });
    const first = track(createActor(machine, { input: { engineId: 'e1', slots: 2 } }).start());
    const snapshot = roundTrip(first);
    first.stop();
    const second = track(rehydrate(machine, snapshot).start());
    expect(second.getSnapshot().value).toBe('idle');
    expect(second.getSnapshot().context).toEqual(first.getSnapshot().context);
    second.send({ type: 'execute', executionId: 'x1' });
    expect(second.getSnapshot().value).toBe('running');
  });

  it('resumes running and paused engines with their runs in their slots', async () => {
    const before = stubRun();
    const first = track(
      createActor(engineMachine.provide({ actors: { execution: before.logic } }), {
        input: { engineId: 'e1', slots: 2 },
      }).start(),
    );
    first.send({ type: 'execute', executionId: 'x1' });
    first.send({ type: 'execute', executionId: 'x2' });
    first.send({ type: 'pause' });
    const snapshot = roundTrip(first);
    const context = first.getSnapshot().context;
    first.stop();

    const after = stubRun();
    const second = track(
      rehydrate(engineMachine.provide({ actors: { execution: after.logic } }), snapshot).start(),
    );
    expect(second.getSnapshot().value).toBe('paused');
    expect(second.getSnapshot().context).toEqual(context);
    expect(Object.keys(second.getSnapshot().children).sort()).toEqual([
      'execution:0',
      'execution:1',
    ]);
    // The rehydrated slots run their executions again (the run actor is restarted).
    await until(() => after.runs.size === 2, 'runs restarted');
    second.send({ type: 'execute', executionId: 'x3' });
    expect(second.getSnapshot().context.busy).toEqual(['x1', 'x2']);
    after.runs.get('x1')!.resolve({});
    await until(() => second.getSnapshot().context.completed === 1, 'x1 finished');
    second.send({ type: 'resume' });
    expect(second.getSnapshot().value).toBe('running');
    after.runs.get('x2')!.resolve({});
    await until(() => second.getSnapshot().value === 'idle', 'engine idle');
    expect(second.getSnapshot().context).toMatchObject({ busy: [], completed: 2 });
  });

  it('resumes a draining engine that stops when its last run ends', async () => {
    const { logic, runs } = stubRun();
    const machine = engineMachine.provide({ actors: { execution: logic } });
    const first = track(createActor(machine, { input: { engineId: 'e1', slots: 1 } }).start());
    first.send({ type: 'execute', executionId: 'x1' });
    first.send({ type: 'drain' });
    const snapshot = roundTrip(first);
    first.stop();
    runs.clear();
    const second = track(rehydrate(machine, snapshot).start());
    expect(second.getSnapshot().value).toBe('draining');
    await until(() => runs.has('x1'), 'run restarted');
    runs.get('x1')!.resolve({});
    await until(() => second.getSnapshot().status === 'done', 'engine stopped');
    expect(second.getSnapshot().value).toBe('stopped');
  });
});

describe('monitor rehydration', () => {
  it('resumes active with its subscribers and their accounting', () => {
    const event = {
      type: 'execution.started',
      executionId: 'x1',
      workflowId: 'wf',
      ts: '2026-01-01T00:00:00.000Z',
      seq: 1,
      source: 'execution.x1',
      severity: 'info',
    } as StampedEvent;
    const deliverBefore = vi.fn();
    const releaseBefore = vi.fn();
    const fresh = monitorMachine.provide({
      actions: { deliver: deliverBefore, release: releaseBefore },
    });
    // Start from an explicit context: the machine's static context object is shared between
    // actors (see monitor.machine.test.ts, 'gives every monitor actor its own subscriber table').
    const first = track(
      createActor(fresh, {
        snapshot: fresh.resolveState({
          value: 'idle',
          context: { subscribers: {}, count: 0, published: 0, dropped: 0 },
        }),
      }).start(),
    );
    first.send({ type: 'subscribe', id: 'sse-1', capacity: 2, filter: { executionId: 'x1' } });
    first.send({ type: 'subscribe', id: 'ws-1', capacity: 5 });
    for (let i = 0; i < 3; i++) first.send({ type: 'publish', event });
    const snapshot = roundTrip(first);
    const context = structuredClone(first.getSnapshot().context);
    first.stop();

    const deliver = vi.fn();
    const release = vi.fn();
    const second = track(
      rehydrate(monitorMachine.provide({ actions: { deliver, release } }), snapshot).start(),
    );
    expect(second.getSnapshot().value).toBe('active');
    expect(second.getSnapshot().context).toEqual(context);
    expect(context).toMatchObject({ count: 2, published: 3, dropped: 1 });
    // Accounting continues: sse-1 is still full until it drains.
    second.send({ type: 'publish', event });
    expect(deliver.mock.calls.map(([, p]) => (p as { subscriberId: string }).subscriberId)).toEqual(
      ['ws-1'],
    );
    second.send({ type: 'drained', id: 'sse-1', count: 2 });
    second.send({ type: 'publish', event });
    expect(deliver).toHaveBeenCalledTimes(3);
    second.send({ type: 'unsubscribe', id: 'sse-1' });
    second.send({ type: 'unsubscribe', id: 'ws-1' });
    expect(second.getSnapshot().value).toBe('idle');
    expect(release).toHaveBeenCalledTimes(2);
  });
});

describe('step rehydration', () => {
  /** A parent holding one step (the step reports with sendParent). */
  function parentOf(input: StepInput, calls: AttemptInput[]) {
    const runAttempt = fromPromise<AttemptResult, AttemptInput>(({ input: i }) => {
      calls.push(i);
      return Promise.resolve({ ok: true, exitCode: 0 });
    });
    return setup({
      actors: { step: stepMachine.provide({ actors: { runAttempt } }) },
    }).createMachine({
      invoke: { id: 'step', src: 'step', input },
    });
  }
  const stepOf = (a: Actor<AnyActorLogic>) => a.getSnapshot().children.step as AnyActorRef;

  it('resumes waiting with the same context and then runs', async () => {
    const input: StepInput = { executionId: 'x1', workflowId: 'wf', step: step('b') };
    const calls: AttemptInput[] = [];
    const machine = parentOf(input, calls);
    const first = track(createActor(machine).start());
    const snapshot = roundTrip(first);
    const context = stepOf(first as never).getSnapshot().context;
    first.stop();
    const second = track(rehydrate(machine, snapshot).start());
    const child = stepOf(second as never);
    expect(child.getSnapshot().value).toBe('waiting');
    expect(child.getSnapshot().context).toEqual(context);
    child.send({ type: 'start' });
    await until(() => child.getSnapshot().status === 'done', 'step done');
    expect(child.getSnapshot().output).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(calls).toHaveLength(1);
  });

  it('resumes retrying with the same context', async () => {
    const input: StepInput = {
      executionId: 'x1',
      workflowId: 'wf',
      step: step('b', { retry: { attempts: 3, backoffMs: 100, factor: 2, maxMs: 1e4, jitter: 0 } }),
    };
    const failing = fromPromise<AttemptResult, AttemptInput>(async () => ({
      ok: false,
      exitCode: 1,
    }));
    const machine = setup({
      actors: { step: stepMachine.provide({ actors: { runAttempt: failing } }) },
    }).createMachine({ invoke: { id: 'step', src: 'step', input } });
    const first = track(createActor(machine, { clock: new SimulatedClock() }).start());
    stepOf(first as never).send({ type: 'start' });
    await until(() => stepOf(first as never).getSnapshot().value === 'retrying', 'retrying');
    const snapshot = roundTrip(first);
    const context = stepOf(first as never).getSnapshot().context;
    first.stop();
    const second = track(rehydrate(machine, snapshot, new SimulatedClock()).start());
    const child = stepOf(second as never);
    expect(child.getSnapshot().value).toBe('retrying');
    expect(child.getSnapshot().context).toEqual(context);
    expect(context).toMatchObject({ attempt: 1, retryDelayMs: 100, error: 'exit code 1' });
  });
});

describe('step rehydration in backingOff', () => {
  // Like `retrying` above: the snapshot keeps the state and the delay left (retryDelayMs); the
  // timer itself lives in the actor system, which is why runs resume through `resume` instead.
  it('resumes backingOff with the same context', () => {
    const runAttempt = fromPromise<AttemptResult, AttemptInput>(async () => ({
      ok: true,
      exitCode: 0,
    }));
    const input: StepInput = {
      executionId: 'x1',
      workflowId: 'wf',
      step: step('b', { retry: { attempts: 3, backoffMs: 100, factor: 2, maxMs: 1e4, jitter: 0 } }),
      attemptsUsed: 1,
      resumed: { state: 'retrying', remainingMs: 80 },
    };
    const machine = setup({
      actors: { step: stepMachine.provide({ actors: { runAttempt } }) },
    }).createMachine({ invoke: { id: 'step', src: 'step', input } });
    const child = (a: AnyActorRef) => a.getSnapshot().children.step as AnyActorRef;
    const first = track(createActor(machine, { clock: new SimulatedClock() }).start());
    child(first).send({ type: 'start' });
    expect(child(first).getSnapshot().value).toBe('backingOff');
    const snapshot = roundTrip(first);
    const context = child(first).getSnapshot().context;
    first.stop();
    const second = track(rehydrate(machine, snapshot, new SimulatedClock()).start());
    expect(child(second).getSnapshot().value).toBe('backingOff');
    expect(child(second).getSnapshot().context).toEqual(context);
    expect(context).toMatchObject({ attempt: 1, retryDelayMs: 80, lostAttempts: 0 });
  });
});

describe('workflow rehydration through resume', () => {
  it('runs only the unfinished steps and counts attempts on from the record', async () => {
    const started: AttemptInput[] = [];
    const results: Record<string, AttemptResult[]> = {
      b: [{ ok: false, exitCode: 1 }],
      c: [{ ok: true, exitCode: 0 }],
    };
    const runAttempt = fromPromise<AttemptResult, AttemptInput>(async ({ input }) => {
      started.push(input);
      return results[input.step.id]!.shift() ?? { ok: true, exitCode: 0 };
    });
    const retry2 = { attempts: 2, backoffMs: 100, factor: 2, maxMs: 1e4, jitter: 0 };
    const definition = {
      id: 'wf',
      env: {},
      concurrency: 4,
      steps: [step('a'), step('b', { needs: ['a'], retry: retry2 }), step('c', { needs: ['b'] })],
    };
    const actor = track(
      createActor(
        executionMachine.provide({
          actors: { step: stepMachine.provide({ actors: { runAttempt } }) },
        }),
        {
          clock: new SimulatedClock(),
          input: {
            executionId: 'x1',
            workflowId: 'wf',
            definition,
            resume: {
              a: { status: 'succeeded', attempts: 1 },
              b: { status: 'pending', attempts: 1 },
            },
          },
        },
      ),
    );
    const events: ExecutionEvent[] = [];
    actor.on('*', (e) => e.type !== 'execution.progress' && events.push(e));
    actor.start();
    actor.send({ type: 'start' });
    const output = await toPromise(actor);
    // b already used 1 of its 2 attempts: its failure on attempt 2 is final.
    expect(started.map((s) => `${s.step.id}#${s.attempt}`)).toEqual(['b#2']);
    expect(output.status).toBe('failed');
    expect(events.map((e) => ('stepId' in e ? `${e.type} ${e.stepId}` : e.type))).toEqual([
      'execution.started',
      'step.started b',
      'step.failed b',
      'step.skipped c',
      'execution.failed',
    ]);
    expect(events[1]).toMatchObject({ attempt: 2 });
    expect(events[2]).toMatchObject({ attempt: 2, exitCode: 1 });
  });

  it('resumes an interrupted step through its interrupted state, retrying it while attempts remain', async () => {
    const started: string[] = [];
    const runAttempt = fromPromise<AttemptResult, AttemptInput>(async ({ input }) => {
      started.push(`${input.step.id}#${input.attempt}`);
      return { ok: true, exitCode: 0 };
    });
    const stepStates = new Map<AnyActorRef, string[]>();
    const retry3 = { attempts: 3, backoffMs: 100, factor: 2, maxMs: 1e4, jitter: 0 };
    const actor = track(
      createActor(
        executionMachine.provide({
          actors: { step: stepMachine.provide({ actors: { runAttempt } }) },
        }),
        {
          inspect: (e) => {
            const ref = e.actorRef as AnyActorRef;
            if (e.type !== '@xstate.snapshot' || !ref.id.startsWith('step:')) return;
            if ('value' in e.snapshot) {
              stepStates.set(ref, [...(stepStates.get(ref) ?? []), String(e.snapshot.value)]);
            }
          },
          input: {
            executionId: 'x1',
            workflowId: 'wf',
            definition: {
              id: 'wf',
              env: {},
              concurrency: 4,
              steps: [
                step('a'),
                step('b', { needs: ['a'], retry: retry3 }),
                step('c', { needs: ['b'] }),
              ],
            },
            // What adoption hands over for b, which was running when its process died.
            resume: {
              a: { status: 'succeeded', attempts: 1 },
              b: { status: 'interrupted', attempts: 1 },
            },
          },
        },
      ),
    );
    const events: ExecutionEvent[] = [];
    actor.on('*', (e) => e.type !== 'execution.progress' && events.push(e));
    actor.start();
    actor.send({ type: 'start' });
    const output = await toPromise(actor);
    expect(output.status).toBe('completed');
    expect(started).toEqual(['b#2', 'c#1']);
    // b's actor starts where its record is, interrupted, and runs again from there.
    const [b, c] = [...stepStates.values()];
    expect(b).toEqual(['interrupted', 'running', 'succeeded']);
    expect(c).toEqual(['waiting', 'running', 'succeeded']);
    expect(events.map((e) => ('stepId' in e ? `${e.type} ${e.stepId}` : e.type))).toEqual([
      'execution.started',
      'step.started b',
      'step.completed b',
      'step.started c',
      'step.completed c',
      'execution.completed',
    ]);
    expect(events[1]).toMatchObject({ attempt: 2 });
  });

  // Was: "keeps an interrupted step with no attempt left interrupted, failing the run". A lost
  // attempt no longer uses up the retry policy; losing more than MAX_LOST_ATTEMPTS does.
  it('keeps an interrupted step that lost more than MAX_LOST_ATTEMPTS interrupted, failing the run', async () => {
    const runAttempt = fromPromise<AttemptResult, AttemptInput>(async () => ({
      ok: true,
      exitCode: 0,
    }));
    const actor = track(
      createActor(
        executionMachine.provide({
          actors: { step: stepMachine.provide({ actors: { runAttempt } }) },
        }),
        {
          input: {
            executionId: 'x1',
            workflowId: 'wf',
            definition: {
              id: 'wf',
              env: {},
              concurrency: 4,
              steps: [step('a'), step('b', { needs: ['a'] })],
            },
            resume: {
              a: { status: 'interrupted', attempts: 4, lostAttempts: MAX_LOST_ATTEMPTS + 1 },
            },
          },
        },
      ),
    );
    const events: ExecutionEvent[] = [];
    actor.on('*', (e) => e.type !== 'execution.progress' && events.push(e));
    actor.start();
    actor.send({ type: 'start' });
    const output = await toPromise(actor);
    expect(output.status).toBe('failed');
    expect(events.map((e) => ('stepId' in e ? `${e.type} ${e.stepId}` : e.type))).toEqual([
      'execution.started',
      'step.skipped b',
      'execution.failed',
    ]);
  });

  it('runs an interrupted step with no retry attempt left again: the lost attempt does not count', async () => {
    const started: string[] = [];
    const runAttempt = fromPromise<AttemptResult, AttemptInput>(async ({ input }) => {
      started.push(`${input.step.id}#${input.attempt}`);
      return { ok: true, exitCode: 0 };
    });
    const actor = track(
      createActor(
        executionMachine.provide({
          actors: { step: stepMachine.provide({ actors: { runAttempt } }) },
        }),
        {
          input: {
            executionId: 'x1',
            workflowId: 'wf',
            definition: {
              id: 'wf',
              env: {},
              concurrency: 4,
              steps: [step('a'), step('b', { needs: ['a'] })],
            },
            // a has one attempt, and lost it with its process.
            resume: { a: { status: 'interrupted', attempts: 1, lostAttempts: 1 } },
          },
        },
      ),
    );
    const events: ExecutionEvent[] = [];
    actor.on('*', (e) => e.type !== 'execution.progress' && events.push(e));
    actor.start();
    actor.send({ type: 'start' });
    const output = await toPromise(actor);
    expect(output.status).toBe('completed');
    expect(started).toEqual(['a#2', 'b#1']);
    expect(events.map((e) => ('stepId' in e ? `${e.type} ${e.stepId}` : e.type))).toEqual([
      'execution.started',
      'step.started a',
      'step.completed a',
      'step.started b',
      'step.completed b',
      'execution.completed',
    ]);
  });

  it('completes the rest of a resumed run', async () => {
    const started: string[] = [];
    const runAttempt = fromPromise<AttemptResult, AttemptInput>(async ({ input }) => {
      started.push(`${input.step.id}#${input.attempt}`);
      return { ok: true, exitCode: 0 };
    });
    const stepActors: string[] = [];
    const actor = track(
      createActor(
        executionMachine.provide({
          actors: { step: stepMachine.provide({ actors: { runAttempt } }) },
        }),
        {
          inspect: (e) => {
            const id = (e.actorRef as AnyActorRef).id;
            if (e.type === '@xstate.actor' && id.startsWith('step:')) stepActors.push(id);
          },
          input: {
            executionId: 'x1',
            workflowId: 'wf',
            definition: {
              id: 'wf',
              env: {},
              concurrency: 4,
              steps: [
                step('a'),
                step('b', {
                  needs: ['a'],
                  retry: { attempts: 3, backoffMs: 100, factor: 2, maxMs: 1e4, jitter: 0 },
                }),
                step('c', { needs: ['b'] }),
              ],
            },
            resume: {
              a: { status: 'succeeded', attempts: 1 },
              b: { status: 'pending', attempts: 1 },
            },
          },
        },
      ),
    );
    actor.start();
    actor.send({ type: 'start' });
    const output = await toPromise(actor);
    expect(output).toEqual({ executionId: 'x1', status: 'completed', error: null });
    expect(started).toEqual(['b#2', 'c#1']);
    // One step actor per remaining step (none for a, b not queued twice), each in slot 0 once
    // the one before it left it.
    expect(stepActors).toEqual(['step:0', 'step:0']);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { createActor, fromPromise, type Actor, type AnyActorLogic } from 'xstate';
import {
  engineMachine,
  executionChildId,
  type EngineStatus,
} from '../../../machines/engine.machine.ts';
import type { EngineEvent } from '../../../src/events.ts';

interface RunCall {
  input: { executionId: string; engineId: string };
  signal: AbortSignal;
  resolve(output?: unknown): void;
  reject(err: unknown): void;
}

/** A `run` stub whose executions the test finishes one by one. */
function stubRun() {
  const calls = new Map<string, RunCall>();
  const logic = fromPromise<unknown, { executionId: string; engineId: string }>(
    ({ input, signal }) =>
      new Promise((resolve, reject) =>
        calls.set(input.executionId, { input, signal, resolve, reject }),
      ),
  );
  return { logic, calls };
}

const actors: Actor<AnyActorLogic>[] = [];
afterEach(() => {
  for (const a of actors.splice(0)) a.stop();
});

function startEngine(slots = 2) {
  const stub = stubRun();
  const actor = createActor(engineMachine.provide({ actors: { execution: stub.logic } }), {
    input: { engineId: 'e1', slots },
  });
  const events: EngineEvent[] = [];
  actor.on('*', (e) => events.push(e));
  actor.start();
  actors.push(actor as unknown as Actor<AnyActorLogic>);
  const finish = async (id: string, how: 'resolve' | 'reject' = 'resolve') => {
    const call = stub.calls.get(id);
    if (!call) throw new Error(`run ${id} was never started`);
    if (how === 'resolve') call.resolve({ ok: true });
    else call.reject(new Error('run crashed'));
    await until(() => !actor.getSnapshot().context.busy.includes(id), `slot of ${id} freed`);
  };
  return {
    actor,
    events,
    ...stub,
    finish,
    value: () => actor.getSnapshot().value as EngineStatus,
    ctx: () => actor.getSnapshot().context,
    statuses: () =>
      events.flatMap((e) => (e.type === 'engine.status' ? [`${e.status}/${e.busy}`] : [])),
    rejections: () => events.filter((e) => e.type === 'engine.rejected'),
  };
}

async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 5000 ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('engine machine', () => {
  it('starts idle and announces it', () => {
    const e = startEngine(2);
    expect(e.value()).toBe('idle');
    expect(e.events).toEqual([
      { type: 'engine.status', engineId: 'e1', status: 'idle', slots: 2, busy: 0, queued: 0 },
    ]);
    expect(e.ctx()).toEqual({
      engineId: 'e1',
      slots: 2,
      busy: [],
      held: [null, null],
      completed: 0,
    });
  });

  it('goes idle -> running on execute and runs the execution in a slot', () => {
    const e = startEngine(2);
    e.actor.send({ type: 'execute', executionId: 'x1' });
    expect(e.value()).toBe('running');
    expect(e.ctx().busy).toEqual(['x1']);
    expect(e.calls.get('x1')?.input).toEqual({ executionId: 'x1', engineId: 'e1' });
    expect(Object.keys(e.actor.getSnapshot().children)).toEqual([executionChildId(0)]);
    expect(e.ctx().held).toEqual(['x1', null]);
    expect(e.statuses()).toEqual(['idle/0', 'running/1']);
  });

  it('frees the slot when a run ends and returns to idle after the last', async () => {
    const e = startEngine(2);
    e.actor.send({ type: 'execute', executionId: 'x1' });
    e.actor.send({ type: 'execute', executionId: 'x2' });
    await e.finish('x1');
    expect(e.value()).toBe('running');
    expect(e.ctx()).toMatchObject({ busy: ['x2'], completed: 1 });
    await e.finish('x2', 'reject');
    expect(e.value()).toBe('idle');
    expect(e.ctx()).toMatchObject({ busy: [], completed: 2 });
    expect(e.actor.getSnapshot().children).toEqual({});
    expect(e.statuses()).toEqual(['idle/0', 'running/1', 'idle/0']);
  });

  it('enforces its slots: execute beyond them is rejected', () => {
    const e = startEngine(2);
    for (const id of ['x1', 'x2', 'x3']) e.actor.send({ type: 'execute', executionId: id });
    expect(e.ctx().busy).toEqual(['x1', 'x2']);
    expect([...e.calls.keys()]).toEqual(['x1', 'x2']);
    expect(e.rejections()).toEqual([
      { type: 'engine.rejected', engineId: 'e1', executionId: 'x3', reason: 'no free slot' },
    ]);
  });

  it('rejects an execution id it is already running', async () => {
    // Two runs under one child id would share a slot entry and free both slots at once.
    const e = startEngine(2);
    e.actor.send({ type: 'execute', executionId: 'x1' });
    e.actor.send({ type: 'execute', executionId: 'x1' });
    expect(e.ctx().busy).toEqual(['x1']);
    expect(e.rejections()).toHaveLength(1);
    expect(e.rejections()[0]).toMatchObject({ executionId: 'x1' });
  });

  it('pauses: rejects new work while running work finishes, then resumes', async () => {
    const e = startEngine(2);
    e.actor.send({ type: 'execute', executionId: 'x1' });
    e.actor.send({ type: 'pause' });
    expect(e.value()).toBe('paused');
    e.actor.send({ type: 'execute', executionId: 'x2' });
    expect(e.rejections()).toEqual([
      { type: 'engine.rejected', engineId: 'e1', executionId: 'x2', reason: 'engine paused' },
    ]);
    expect(e.calls.get('x1')?.signal.aborted).toBe(false);
    await e.finish('x1');
    expect(e.value()).toBe('paused');
    expect(e.ctx()).toMatchObject({ busy: [], completed: 1 });
    e.actor.send({ type: 'resume' });
    expect(e.value()).toBe('idle');
    expect(e.statuses()).toEqual(['idle/0', 'running/1', 'paused/1', 'idle/0']);
  });

  it('resumes into running when runs are still in their slots', () => {
    const e = startEngine(2);
    e.actor.send({ type: 'pause' });
    expect(e.value()).toBe('paused');
    e.actor.send({ type: 'resume' });
    expect(e.value()).toBe('idle');
    e.actor.send({ type: 'execute', executionId: 'x1' });
    e.actor.send({ type: 'pause' });
    e.actor.send({ type: 'resume' });
    expect(e.value()).toBe('running');
    e.actor.send({ type: 'execute', executionId: 'x2' });
    expect(e.ctx().busy).toEqual(['x1', 'x2']);
  });

  it('drains: finishes what it has, rejects new work, then stops', async () => {
    const e = startEngine(3);
    e.actor.send({ type: 'execute', executionId: 'x1' });
    e.actor.send({ type: 'execute', executionId: 'x2' });
    e.actor.send({ type: 'drain' });
    expect(e.value()).toBe('draining');
    e.actor.send({ type: 'execute', executionId: 'x3' });
    expect(e.rejections().map((r) => r.reason)).toEqual(['engine draining']);
    await e.finish('x1');
    expect(e.value()).toBe('draining');
    await e.finish('x2');
    expect(e.value()).toBe('stopped');
    expect(e.actor.getSnapshot().status).toBe('done');
    expect(e.ctx()).toMatchObject({ busy: [], completed: 2 });
    expect(e.statuses()).toEqual(['idle/0', 'running/1', 'draining/2', 'stopped/0']);
  });

  it('drains an idle engine, or a paused empty one, straight to stopped', () => {
    const idle = startEngine();
    idle.actor.send({ type: 'drain' });
    expect(idle.value()).toBe('stopped');
    const paused = startEngine();
    paused.actor.send({ type: 'pause' });
    paused.actor.send({ type: 'drain' });
    expect(paused.value()).toBe('stopped');
  });

  it('drains a paused engine with work through draining', async () => {
    const e = startEngine();
    e.actor.send({ type: 'execute', executionId: 'x1' });
    e.actor.send({ type: 'pause' });
    e.actor.send({ type: 'drain' });
    expect(e.value()).toBe('draining');
    await e.finish('x1');
    expect(e.value()).toBe('stopped');
  });

  it.each([
    ['idle', []],
    ['running', ['execute']],
    ['paused', ['execute', 'pause']],
    ['draining', ['execute', 'drain']],
  ] as const)('stops from %s, aborting runs in its slots', (from, steps) => {
    const e = startEngine();
    for (const type of steps) {
      e.actor.send(type === 'execute' ? { type, executionId: 'x1' } : { type });
    }
    expect(e.value()).toBe(from);
    e.actor.send({ type: 'stop' });
    expect(e.value()).toBe('stopped');
    expect(e.actor.getSnapshot().status).toBe('done');
    expect(e.ctx().busy).toEqual([]);
    expect(e.events.at(-1)).toEqual({
      type: 'engine.status',
      engineId: 'e1',
      status: 'stopped',
      slots: 2,
      busy: 0,
      queued: 0,
    });
    if (steps.length) expect(e.calls.get('x1')?.signal.aborted).toBe(true);
  });

  it('answers health.check with its status in every live state', () => {
    const e = startEngine(2);
    const check = () => {
      const before = e.events.length;
      e.actor.send({ type: 'health.check' });
      expect(e.events.length).toBe(before + 1);
      const last = e.events.at(-1)!;
      return last.type === 'engine.status' ? `${last.status}/${last.busy}/${last.slots}` : '';
    };
    expect(check()).toBe('idle/0/2');
    e.actor.send({ type: 'execute', executionId: 'x1' });
    expect(check()).toBe('running/1/2');
    e.actor.send({ type: 'pause' });
    expect(check()).toBe('paused/1/2');
    e.actor.send({ type: 'drain' });
    expect(check()).toBe('draining/1/2');
  });

  it('keeps its busy list and children bounded by its slots', async () => {
    const e = startEngine(3);
    let maxBusy = 0;
    let maxChildren = 0;
    e.actor.subscribe((s) => {
      maxBusy = Math.max(maxBusy, s.context.busy.length);
      maxChildren = Math.max(maxChildren, Object.keys(s.children).length);
    });
    let rejected = 0;
    for (let i = 0; i < 60; i++) {
      e.actor.send({ type: 'execute', executionId: `x${i}` });
      if (e.rejections().length > rejected) {
        rejected = e.rejections().length;
        await e.finish(e.ctx().busy[0]!);
        e.actor.send({ type: 'execute', executionId: `x${i}` });
      }
    }
    for (const id of [...e.ctx().busy]) await e.finish(id);
    expect(e.value()).toBe('idle');
    expect(maxBusy).toBe(3);
    expect(maxChildren).toBeLessThanOrEqual(3);
    expect(e.ctx()).toMatchObject({ busy: [], completed: 60 });
    expect(e.calls.size).toBe(60);
  });
});

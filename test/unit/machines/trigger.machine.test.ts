import { afterEach, describe, expect, it, vi } from 'vitest';
import { SimulatedClock, createActor, fromPromise, type Actor, type AnyActorLogic } from 'xstate';
import {
  triggerMachine,
  type FireOutcome,
  type FireRequest,
  type StartRunInput,
  type TriggerInput,
  type TriggerStatus,
} from '../../../machines/trigger.machine.ts';
import type { TriggerEvent } from '../../../src/events.ts';

interface StartCall {
  input: StartRunInput;
  signal: AbortSignal;
  resolve(outcomes: FireOutcome[]): void;
  reject(err: unknown): void;
}

const actors: Actor<AnyActorLogic>[] = [];
afterEach(() => {
  for (const a of actors.splice(0)) a.stop();
});

const T0 = Date.parse('2026-03-01T12:00:00Z');
let nextFire = 0;

function fire(source: FireRequest['source'], extra: Partial<FireRequest> = {}): FireRequest {
  return { fireId: `f${++nextFire}`, source, at: T0 + nextFire * 1000, ...extra };
}

const started = (executionId: string): FireOutcome => ({ status: 'started', executionId });
const recoverable = { code: 'unavailable' as const, message: 'queue full', recoverable: true };

/** A trigger whose `startRun` calls the test settles one by one. */
function startTrigger(input: Partial<TriggerInput> = {}, clock?: SimulatedClock) {
  const calls: StartCall[] = [];
  const startRun = fromPromise<FireOutcome[], StartRunInput>(
    ({ input: i, signal }) =>
      new Promise((resolve, reject) => calls.push({ input: i, signal, resolve, reject })),
  );
  const respond = vi.fn<(fireId: string, outcome: FireOutcome) => void>();
  const machine = triggerMachine.provide({
    actors: { startRun },
    actions: { respond: (_, params) => respond(params.fireId, params.outcome) },
  });
  const actor = createActor(machine, {
    input: { triggerId: 'nightly-cron-0', workflowId: 'nightly', kind: 'cron', ...input },
    ...(clock && { clock }),
  });
  const events: TriggerEvent[] = [];
  actor.on('*', (e) => events.push(e));
  actor.start();
  actors.push(actor as unknown as Actor<AnyActorLogic>);
  /**
   * Settles the oldest unsettled call and lets the actor take the result: one outcome for every
   * fire of its batch, one outcome each (an array), or a rejection.
   */
  const settle = async (how: FireOutcome | FireOutcome[] | Error) => {
    const call = calls.shift();
    if (!call) throw new Error('no startRun call in progress');
    if (how instanceof Error) call.reject(how);
    else call.resolve(Array.isArray(how) ? how : call.input.fires.map(() => how));
    await new Promise((resolve) => setImmediate(resolve));
  };
  return {
    actor,
    calls,
    events,
    respond,
    settle,
    send: (e: Parameters<typeof actor.send>[0]) => actor.send(e),
    value: () => actor.getSnapshot().value as TriggerStatus,
    ctx: () => actor.getSnapshot().context,
    types: () => events.map((e) => e.type),
  };
}

describe('trigger machine', () => {
  it('starts active, or paused when its persisted state says so', () => {
    expect(startTrigger().value()).toBe('active');
    const paused = startTrigger({ paused: true, lastFireAt: T0 });
    expect(paused.value()).toBe('paused');
    expect(paused.ctx()).toMatchObject({ lastFireAt: T0, pending: [], batch: [] });
    expect(paused.events).toEqual([]);
  });

  it('fires through firing and reports a started run', async () => {
    const t = startTrigger();
    const f = fire('schedule');
    t.send({ type: 'fire', fire: f });
    expect(t.value()).toBe('firing');
    expect(t.calls[0]!.input).toEqual({
      triggerId: 'nightly-cron-0',
      workflowId: 'nightly',
      kind: 'cron',
      fires: [f],
    });
    await t.settle(started('ex1'));
    expect(t.value()).toBe('active');
    expect(t.events).toEqual([
      {
        type: 'trigger.fired',
        triggerId: 'nightly-cron-0',
        workflowId: 'nightly',
        kind: 'cron',
        origin: 'schedule',
        scheduledAt: new Date(f.at).toISOString(),
        executionId: 'ex1',
      },
    ]);
    expect(t.respond).toHaveBeenCalledWith(f.fireId, started('ex1'));
    expect(t.ctx()).toMatchObject({
      lastFireAt: f.at,
      lastResult: { status: 'started', executionId: 'ex1' },
      fired: 1,
    });
  });

  it('reports skipped (with reason) and queued outcomes', async () => {
    const t = startTrigger();
    t.send({ type: 'fire', fire: fire('schedule') });
    await t.settle({ status: 'skipped', reason: 'overlap', message: 'run ex1 is still running' });
    t.send({ type: 'fire', fire: fire('manual') });
    await t.settle({ status: 'queued', executionId: 'ex2', position: 1 });
    expect(t.events).toMatchObject([
      { type: 'trigger.skipped', reason: 'overlap', message: 'run ex1 is still running' },
      { type: 'trigger.queued', origin: 'manual', executionId: 'ex2', position: 1 },
    ]);
    expect(t.ctx()).toMatchObject({
      skipped: 1,
      lastResult: { status: 'queued', executionId: 'ex2' },
    });
  });

  it('holds fires that arrive while firing, in order, and refuses them past the bound', async () => {
    const t = startTrigger({ maxPending: 2 });
    const [a, b, c, d] = [fire('nats'), fire('nats'), fire('nats'), fire('nats')];
    for (const f of [a, b, c, d]) t.send({ type: 'fire', fire: f });
    expect(t.ctx().pending.map((f) => f.fireId)).toEqual([b!.fireId, c!.fireId]);
    expect(t.respond).toHaveBeenCalledWith(d!.fireId, {
      status: 'skipped',
      reason: 'busy',
      message: expect.any(String),
    });
    await t.settle(started('x1'));
    expect(t.value()).toBe('firing');
    // Messages that waited go in together.
    expect(t.calls[0]!.input.fires).toEqual([b, c]);
    await t.settle([started('x2'), started('x3')]);
    expect(t.value()).toBe('active');
    expect(t.types()).toEqual([
      'trigger.skipped',
      'trigger.fired',
      'trigger.fired',
      'trigger.fired',
    ]);
  });

  it('paused: ignores its ticks, refuses messages, honours manual fires', async () => {
    const t = startTrigger();
    t.send({ type: 'pause' });
    expect(t.value()).toBe('paused');
    const tick = fire('schedule');
    t.send({ type: 'fire', fire: tick });
    expect(t.value()).toBe('paused');
    expect(t.respond).toHaveBeenCalledWith(
      tick.fireId,
      expect.objectContaining({ reason: 'paused' }),
    );
    const hook = fire('webhook');
    t.send({ type: 'fire', fire: hook });
    expect(t.respond).toHaveBeenCalledWith(
      hook.fireId,
      expect.objectContaining({ reason: 'paused' }),
    );
    t.send({ type: 'fire', fire: fire('manual') });
    expect(t.value()).toBe('firing');
    await t.settle(started('m1'));
    expect(t.value()).toBe('paused');
    t.send({ type: 'resume' });
    expect(t.value()).toBe('active');
    expect(t.events).toMatchObject([
      { type: 'trigger.status', status: 'paused' },
      { type: 'trigger.skipped', origin: 'webhook', reason: 'paused' },
      { type: 'trigger.fired', origin: 'manual', executionId: 'm1' },
      { type: 'trigger.status', status: 'active' },
    ]);
  });

  it('a pause while firing takes effect after the fire; waiting messages are refused', async () => {
    const t = startTrigger();
    t.send({ type: 'fire', fire: fire('schedule') });
    const [tick, msg, manual] = [fire('schedule'), fire('nats'), fire('manual')];
    for (const f of [tick, msg, manual]) t.send({ type: 'fire', fire: f });
    t.send({ type: 'pause' });
    await t.settle(started('s1'));
    // The waiting tick is dropped, the message refused, the manual fire still runs.
    expect(t.value()).toBe('firing');
    expect(t.calls[0]!.input.fires).toEqual([manual]);
    expect(t.respond).toHaveBeenCalledWith(
      msg!.fireId,
      expect.objectContaining({ reason: 'paused' }),
    );
    // The dropped tick is answered (whoever waits learns it) but not announced.
    expect(t.respond).toHaveBeenCalledWith(
      tick!.fireId,
      expect.objectContaining({ reason: 'paused' }),
    );
    expect(t.events.filter((e) => e.type === 'trigger.skipped')).toHaveLength(1);
    await t.settle(started('m1'));
    expect(t.value()).toBe('paused');
  });

  it('a tick that fails recoverably goes to error and is retried with backoff', async () => {
    const clock = new SimulatedClock();
    const t = startTrigger({ maxRetries: 2 }, clock);
    const tick = fire('schedule');
    t.send({ type: 'fire', fire: tick });
    await t.settle({ status: 'failed', error: recoverable });
    expect(t.value()).toBe('error');
    expect(t.events.at(-1)).toMatchObject({ type: 'trigger.error', attempt: 1, willRetry: true });
    clock.increment(999);
    expect(t.value()).toBe('error');
    clock.increment(1);
    expect(t.value()).toBe('firing');
    expect(t.calls[0]!.input.fires).toEqual([{ ...tick, attempt: 2 }]);
    await t.settle({ status: 'failed', error: recoverable });
    clock.increment(1999);
    expect(t.value()).toBe('error');
    clock.increment(1);
    expect(t.calls[0]!.input.fires[0]!.attempt).toBe(3);
    await t.settle({ status: 'failed', error: recoverable });
    expect(t.events.at(-1)).toMatchObject({ type: 'trigger.error', attempt: 3, willRetry: false });
    clock.increment(120_000);
    expect(t.value()).toBe('error');
    expect(t.calls).toHaveLength(0);
    // The next fire brings it back.
    t.send({ type: 'fire', fire: fire('schedule') });
    await t.settle(started('ok'));
    expect(t.value()).toBe('active');
    expect(t.ctx()).toMatchObject({ lastError: null, failedFire: null, failed: 3, fired: 1 });
  });

  it('does not retry a non-recoverable failure; resume clears the error', async () => {
    const clock = new SimulatedClock();
    const t = startTrigger({}, clock);
    t.send({ type: 'fire', fire: fire('schedule') });
    const bad = {
      code: 'invalid_argument' as const,
      message: 'input x required',
      recoverable: false,
    };
    await t.settle({ status: 'failed', error: bad });
    expect(t.value()).toBe('error');
    expect(t.ctx().lastError).toEqual(bad);
    clock.increment(60_000);
    expect(t.calls).toHaveLength(0);
    t.send({ type: 'resume' });
    expect(t.value()).toBe('active');
    expect(t.ctx().lastError).toBeNull();
  });

  it('a failed message or manual fire answers its caller and stays active', async () => {
    const t = startTrigger();
    const f = fire('webhook', { input: { n: 1 } });
    t.send({ type: 'fire', fire: f });
    const error = { code: 'invalid_argument' as const, message: 'bad', recoverable: false };
    await t.settle({ status: 'failed', error });
    expect(t.value()).toBe('active');
    expect(t.respond).toHaveBeenCalledWith(f.fireId, { status: 'failed', error });
    expect(t.events.at(-1)).toMatchObject({ type: 'trigger.error', willRetry: false });
  });

  it('a startRun that throws sends the trigger to error', async () => {
    const t = startTrigger();
    const f = fire('manual');
    t.send({ type: 'fire', fire: f });
    await t.settle(new Error('store exploded'));
    expect(t.value()).toBe('error');
    expect(t.respond).toHaveBeenCalledWith(f.fireId, {
      status: 'failed',
      error: expect.objectContaining({ code: 'internal', message: 'store exploded' }),
    });
    t.send({ type: 'retry' });
    expect(t.value()).toBe('active');
  });

  it('reports runs started from the overlap queue and missed ticks', () => {
    const t = startTrigger();
    const f = fire('schedule');
    t.send({ type: 'dequeued', fire: f, outcome: started('q1') });
    t.send({ type: 'missed', at: T0, count: 7, message: '7 ticks missed (catchUp: none)' });
    expect(t.value()).toBe('active');
    expect(t.events).toMatchObject([
      { type: 'trigger.fired', executionId: 'q1', queued: true },
      { type: 'trigger.skipped', reason: 'missed', count: 7, origin: 'catch_up' },
    ]);
    expect(t.ctx().lastResult).toEqual({ status: 'started', executionId: 'q1' });
  });

  it('stopping the actor aborts the fire in progress', () => {
    const t = startTrigger();
    t.send({ type: 'fire', fire: fire('schedule') });
    const { signal } = t.calls[0]!;
    t.actor.stop();
    expect(signal.aborted).toBe(true);
  });

  it('rehydrates from a persisted snapshot', async () => {
    const t = startTrigger();
    t.send({ type: 'fire', fire: fire('schedule') });
    await t.settle(started('r1'));
    t.send({ type: 'pause' });
    const snapshot = t.actor.getPersistedSnapshot();
    const revived = createActor(triggerMachine, {
      snapshot: JSON.parse(JSON.stringify(snapshot)),
      input: { triggerId: 'nightly-cron-0', workflowId: 'nightly', kind: 'cron' },
    });
    revived.start();
    actors.push(revived as unknown as Actor<AnyActorLogic>);
    expect(revived.getSnapshot().value).toBe('paused');
    expect(revived.getSnapshot().context).toMatchObject({
      lastResult: { status: 'started', executionId: 'r1' },
      fired: 1,
    });
    revived.send({ type: 'resume' });
    expect(revived.getSnapshot().value).toBe('active');
  });
});

describe('trigger machine: never stuck, batches, rejects', () => {
  it('a fire still undecided after fireTimeoutMs fails with timeout; the trigger moves on', async () => {
    const clock = new SimulatedClock();
    const t = startTrigger({ kind: 'nats', fireTimeoutMs: 5000 }, clock);
    const stuck = fire('nats');
    t.send({ type: 'fire', fire: stuck });
    const { signal } = t.calls[0]!;
    const [next, later] = [fire('nats'), fire('nats')];
    t.send({ type: 'fire', fire: next });
    t.send({ type: 'fire', fire: later });
    clock.increment(4999);
    expect(t.value()).toBe('firing');
    clock.increment(1);
    // The stuck decision is abandoned: its startRun aborted, its sender told, the trigger free.
    expect(signal.aborted).toBe(true);
    expect(t.respond).toHaveBeenCalledWith(stuck.fireId, {
      status: 'failed',
      error: expect.objectContaining({ code: 'timeout', recoverable: true }),
    });
    expect(t.events.at(-1)).toMatchObject({ type: 'trigger.error', willRetry: false });
    // The messages that waited go on at once, together.
    expect(t.value()).toBe('firing');
    expect(t.calls.at(-1)!.input.fires).toEqual([next, later]);
    t.calls.shift();
    await t.settle([started('n1'), started('n2')]);
    expect(t.value()).toBe('active');
    expect(t.ctx()).toMatchObject({ fired: 2, failed: 1, lastError: null, batch: [] });
  });

  it('a tick that times out goes to error and is retried like any recoverable failure', async () => {
    const clock = new SimulatedClock();
    const t = startTrigger({ fireTimeoutMs: 1000 }, clock);
    const tick = fire('schedule');
    t.send({ type: 'fire', fire: tick });
    clock.increment(1000);
    expect(t.value()).toBe('error');
    expect(t.events.at(-1)).toMatchObject({
      type: 'trigger.error',
      error: { code: 'timeout' },
      willRetry: true,
    });
    t.calls.shift();
    clock.increment(1000);
    expect(t.value()).toBe('firing');
    expect(t.calls.at(-1)!.input.fires).toEqual([{ ...tick, attempt: 2 }]);
  });

  it('a paused trigger whose manual fire times out is paused again', () => {
    const clock = new SimulatedClock();
    const t = startTrigger({ paused: true, fireTimeoutMs: 1000 }, clock);
    t.send({ type: 'fire', fire: fire('manual') });
    expect(t.value()).toBe('firing');
    clock.increment(1000);
    expect(t.value()).toBe('paused');
  });

  it('batches waiting message fires up to maxBatch; ticks and manual fires go alone', async () => {
    const t = startTrigger({ kind: 'nats', maxBatch: 2 });
    const first = fire('manual');
    t.send({ type: 'fire', fire: first });
    const waiting = [fire('nats'), fire('webhook'), fire('nats'), fire('schedule'), fire('nats')];
    for (const f of waiting) t.send({ type: 'fire', fire: f });
    await t.settle(started('m'));
    expect(t.calls[0]!.input.fires).toEqual(waiting.slice(0, 2));
    await t.settle([{ status: 'skipped', reason: 'overlap', message: 'busy' }, started('w')]);
    expect(t.calls[0]!.input.fires).toEqual([waiting[2]]);
    await t.settle(started('n'));
    expect(t.calls[0]!.input.fires).toEqual([waiting[3]]);
    await t.settle(started('tick'));
    expect(t.calls[0]!.input.fires).toEqual([waiting[4]]);
    await t.settle(started('last'));
    expect(t.value()).toBe('active');
    // Every fire answered with its own outcome, in order, and announced once.
    expect(t.respond.mock.calls.map(([id, o]) => [id, o.status])).toEqual([
      [first.fireId, 'started'],
      [waiting[0]!.fireId, 'skipped'],
      [waiting[1]!.fireId, 'started'],
      [waiting[2]!.fireId, 'started'],
      [waiting[3]!.fireId, 'started'],
      [waiting[4]!.fireId, 'started'],
    ]);
    expect(t.types()).toEqual([
      'trigger.fired',
      'trigger.skipped',
      'trigger.fired',
      'trigger.fired',
      'trigger.fired',
      'trigger.fired',
    ]);
    expect(t.ctx()).toMatchObject({ fired: 5, skipped: 1, lastFireAt: waiting[4]!.at });
  });

  it('a batch that startRun rejects fails every fire in it', async () => {
    const t = startTrigger({ kind: 'nats' });
    t.send({ type: 'fire', fire: fire('nats') });
    const [a, b] = [fire('nats'), fire('nats')];
    t.send({ type: 'fire', fire: a });
    t.send({ type: 'fire', fire: b });
    await t.settle(started('x'));
    await t.settle(new Error('store exploded'));
    expect(t.respond).toHaveBeenCalledWith(a.fireId, expect.objectContaining({ status: 'failed' }));
    expect(t.respond).toHaveBeenCalledWith(b.fireId, expect.objectContaining({ status: 'failed' }));
    expect(t.ctx()).toMatchObject({ failed: 2, batch: [] });
  });

  it('a rejected message is counted and announced in any state, and changes no state', async () => {
    const t = startTrigger({ kind: 'nats', workflowId: 'orders', triggerId: 'orders-nats-0' });
    const error = {
      code: 'malformed_json' as const,
      message: 'malformed JSON',
      recoverable: false,
    };
    const rejected = {
      source: 'nats' as const,
      at: T0,
      subject: 'orders.created',
      reason: 'malformed_json' as const,
      error,
    };
    t.send({ type: 'reject', rejected });
    expect(t.value()).toBe('active');
    t.send({ type: 'fire', fire: fire('nats') });
    t.send({ type: 'reject', rejected: { ...rejected, reason: 'invalid_input' } });
    expect(t.value()).toBe('firing');
    await t.settle(started('ok'));
    t.send({ type: 'pause' });
    t.send({ type: 'reject', rejected });
    expect(t.value()).toBe('paused');
    expect(t.ctx()).toMatchObject({ rejected: 3, fired: 1, skipped: 0, failed: 0 });
    expect(t.events.filter((e) => e.type === 'trigger.rejected')).toEqual([
      {
        type: 'trigger.rejected',
        triggerId: 'orders-nats-0',
        workflowId: 'orders',
        kind: 'nats',
        origin: 'nats',
        scheduledAt: new Date(T0).toISOString(),
        reason: 'malformed_json',
        message: 'malformed JSON',
        subject: 'orders.created',
        error,
      },
      expect.objectContaining({ reason: 'invalid_input' }),
      expect.objectContaining({ reason: 'malformed_json' }),
    ]);
  });
});

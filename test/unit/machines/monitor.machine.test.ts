import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor, type Actor, type AnyActorLogic } from 'xstate';
import { monitorMachine } from '../../../machines/monitor.machine.ts';
import type { StampedEvent } from '../../../src/events.ts';

let seq = 0;
function stepEvent(executionId: string, type = 'step.started'): StampedEvent {
  return {
    type,
    executionId,
    workflowId: 'wf',
    stepId: 'a',
    attempt: 1,
    ts: '2026-01-01T00:00:00.000Z',
    seq: ++seq,
    source: `execution.${executionId}`,
    severity: type === 'step.failed' ? 'error' : 'info',
  } as StampedEvent;
}

const actors: Actor<AnyActorLogic>[] = [];
afterEach(() => {
  for (const a of actors.splice(0)) a.stop();
});

/**
 * Starts a monitor from a fresh context of its own. The machine's static `context` object is
 * shared by every actor (see 'gives every monitor actor its own subscriber table'), so the
 * other tests start from an explicit snapshot to stay independent of that bug.
 */
function startMonitor() {
  const deliver = vi.fn();
  const release = vi.fn();
  const machine = monitorMachine.provide({ actions: { deliver, release } });
  const snapshot = machine.resolveState({
    value: 'idle',
    context: { subscribers: {}, count: 0, published: 0, dropped: 0 },
  });
  const actor = createActor(machine, { snapshot }).start();
  actors.push(actor as unknown as Actor<AnyActorLogic>);
  return {
    actor,
    deliver,
    release,
    value: () => actor.getSnapshot().value,
    ctx: () => actor.getSnapshot().context,
    /** `subscriberId:seq` of every delivery, in order. */
    deliveries: () =>
      deliver.mock.calls.map(([, p]) => {
        const { subscriberId, event } = p as { subscriberId: string; event: StampedEvent };
        return `${subscriberId}:${event.seq}`;
      }),
  };
}

describe('monitor machine', () => {
  it('gives every monitor actor its own subscriber table', () => {
    // Regression: `context: { subscribers: {} }` is one object shared by all actors, and
    // addSubscriber mutates it in place, so a second monitor saw the first one's subscribers.
    const deliverFirst = vi.fn();
    const first = createActor(
      monitorMachine.provide({ actions: { deliver: deliverFirst } }),
    ).start();
    first.send({ type: 'subscribe', id: 'only-in-first', capacity: 1 });
    const deliver = vi.fn();
    const second = createActor(monitorMachine.provide({ actions: { deliver } })).start();
    actors.push(
      first as unknown as Actor<AnyActorLogic>,
      second as unknown as Actor<AnyActorLogic>,
    );
    expect(second.getSnapshot().context.subscribers).toEqual({});
    second.send({ type: 'subscribe', id: 'own', capacity: 1 });
    second.send({ type: 'publish', event: stepEvent('x1') });
    expect(deliver.mock.calls.map(([, p]) => (p as { subscriberId: string }).subscriberId)).toEqual(
      ['own'],
    );
  });

  it('is idle without subscribers and active with them', () => {
    const m = startMonitor();
    expect(m.value()).toBe('idle');
    m.actor.send({ type: 'subscribe', id: 's1', capacity: 10 });
    expect(m.value()).toBe('active');
    m.actor.send({ type: 'subscribe', id: 's2', name: 'dashboard', capacity: 10 });
    expect(m.ctx().count).toBe(2);
    expect(m.ctx().subscribers.s2).toEqual({
      id: 's2',
      name: 'dashboard',
      filter: {},
      capacity: 10,
      pending: 0,
      delivered: 0,
      dropped: 0,
    });
    expect(m.ctx().subscribers.s1?.name).toBe('s1');
    m.actor.send({ type: 'unsubscribe', id: 's1' });
    expect(m.value()).toBe('active');
    m.actor.send({ type: 'unsubscribe', id: 's2' });
    expect(m.value()).toBe('idle');
    expect(m.ctx()).toMatchObject({ subscribers: {}, count: 0 });
  });

  it('calls release for each unsubscribed subscriber, once', () => {
    const m = startMonitor();
    m.actor.send({ type: 'subscribe', id: 's1', capacity: 10 });
    m.actor.send({ type: 'subscribe', id: 's2', capacity: 10 });
    m.actor.send({ type: 'unsubscribe', id: 's1' });
    m.actor.send({ type: 'unsubscribe', id: 's1' });
    m.actor.send({ type: 'unsubscribe', id: 'ghost' });
    expect(m.release).toHaveBeenCalledTimes(1);
    expect(m.release.mock.calls[0]![1]).toEqual({ subscriberId: 's1' });
    m.actor.send({ type: 'unsubscribe', id: 's2' });
    expect(m.release.mock.calls.map(([, p]) => p)).toEqual([
      { subscriberId: 's1' },
      { subscriberId: 's2' },
    ]);
    expect(m.value()).toBe('idle');
  });

  it('stays active when an unknown id unsubscribes from its last subscriber', () => {
    const m = startMonitor();
    m.actor.send({ type: 'subscribe', id: 's1', capacity: 1 });
    m.actor.send({ type: 'unsubscribe', id: 'ghost' });
    expect(m.value()).toBe('active');
    expect(m.ctx().count).toBe(1);
  });

  it('counts a re-subscribed id once', () => {
    // Regression: a second subscribe with the same id bumped count, so the monitor never
    // went back to idle after the subscriber left.
    const m = startMonitor();
    m.actor.send({ type: 'subscribe', id: 's1', capacity: 5 });
    m.actor.send({ type: 'subscribe', id: 's1', capacity: 5 });
    expect(m.ctx().count).toBe(Object.keys(m.ctx().subscribers).length);
    m.actor.send({ type: 'unsubscribe', id: 's1' });
    expect(m.value()).toBe('idle');
    expect(m.ctx().count).toBe(0);
  });

  it('fans each event out to every subscriber whose filter it passes', () => {
    const m = startMonitor();
    m.actor.send({ type: 'subscribe', id: 'all', capacity: 10 });
    m.actor.send({ type: 'subscribe', id: 'x1', capacity: 10, filter: { executionId: 'x1' } });
    m.actor.send({ type: 'subscribe', id: 'errors', capacity: 10, filter: { severity: 'error' } });
    const a = stepEvent('x1');
    const b = stepEvent('x2', 'step.failed');
    const c = stepEvent('x1', 'step.failed');
    for (const event of [a, b, c]) m.actor.send({ type: 'publish', event });
    expect(m.deliveries()).toEqual([
      `all:${a.seq}`,
      `x1:${a.seq}`,
      `all:${b.seq}`,
      `errors:${b.seq}`,
      `all:${c.seq}`,
      `x1:${c.seq}`,
      `errors:${c.seq}`,
    ]);
    expect(m.deliver.mock.calls[0]![1]).toEqual({ subscriberId: 'all', event: a });
    expect(m.ctx()).toMatchObject({ published: 3, dropped: 0 });
    expect(m.ctx().subscribers.x1).toMatchObject({ pending: 2, delivered: 2, dropped: 0 });
  });

  it('ignores publishes while idle', () => {
    const m = startMonitor();
    m.actor.send({ type: 'publish', event: stepEvent('x1') });
    expect(m.deliver).not.toHaveBeenCalled();
    expect(m.value()).toBe('idle');
  });

  it('drops events past capacity, counted per subscriber and in total', () => {
    const m = startMonitor();
    m.actor.send({ type: 'subscribe', id: 'slow', capacity: 3 });
    m.actor.send({ type: 'subscribe', id: 'fast', capacity: 100 });
    for (let i = 0; i < 5; i++) m.actor.send({ type: 'publish', event: stepEvent('x1') });
    const { subscribers, dropped, published } = m.ctx();
    expect(subscribers.slow).toMatchObject({ pending: 3, delivered: 3, dropped: 2 });
    expect(subscribers.fast).toMatchObject({ pending: 5, delivered: 5, dropped: 0 });
    expect({ dropped, published }).toEqual({ dropped: 2, published: 5 });
    expect(m.deliveries().filter((d) => d.startsWith('slow:'))).toHaveLength(3);
  });

  it('frees capacity when a subscriber reports it drained', () => {
    const m = startMonitor();
    m.actor.send({ type: 'subscribe', id: 's', capacity: 2 });
    for (let i = 0; i < 3; i++) m.actor.send({ type: 'publish', event: stepEvent('x1') });
    expect(m.ctx().subscribers.s).toMatchObject({ pending: 2, dropped: 1 });
    m.actor.send({ type: 'drained', id: 's', count: 1 });
    expect(m.ctx().subscribers.s?.pending).toBe(1);
    m.actor.send({ type: 'publish', event: stepEvent('x1') });
    m.actor.send({ type: 'publish', event: stepEvent('x1') });
    expect(m.ctx().subscribers.s).toMatchObject({ pending: 2, delivered: 3, dropped: 2 });
    // Over-reporting never makes pending negative; unknown ids are ignored.
    m.actor.send({ type: 'drained', id: 's', count: 50 });
    m.actor.send({ type: 'drained', id: 'ghost', count: 1 });
    expect(m.ctx().subscribers.s?.pending).toBe(0);
    expect(m.ctx().dropped).toBe(2);
  });

  it('stops from any state', () => {
    const idle = startMonitor();
    idle.actor.send({ type: 'stop' });
    expect(idle.value()).toBe('stopped');
    expect(idle.actor.getSnapshot().status).toBe('done');
    const active = startMonitor();
    active.actor.send({ type: 'subscribe', id: 's', capacity: 1 });
    active.actor.send({ type: 'stop' });
    expect(active.value()).toBe('stopped');
    active.actor.send({ type: 'publish', event: stepEvent('x1') });
    expect(active.deliver).not.toHaveBeenCalled();
  });

  it('handles thousands of subscribers', () => {
    const m = startMonitor();
    for (let i = 0; i < 2_000; i++) m.actor.send({ type: 'subscribe', id: `s${i}`, capacity: 1 });
    m.actor.send({ type: 'publish', event: stepEvent('x1') });
    m.actor.send({ type: 'publish', event: stepEvent('x1') });
    expect(m.deliver).toHaveBeenCalledTimes(2_000);
    expect(m.ctx()).toMatchObject({ count: 2_000, published: 2, dropped: 2_000 });
    for (let i = 0; i < 2_000; i++) m.actor.send({ type: 'unsubscribe', id: `s${i}` });
    expect(m.value()).toBe('idle');
    expect(m.release).toHaveBeenCalledTimes(2_000);
  });
});

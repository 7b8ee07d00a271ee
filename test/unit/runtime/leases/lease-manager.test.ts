/**
 * The lease logic on a real lease bucket (a private nats-server) with simulated clocks, one per
 * node, so a TTL passes without sleeping: a live holder's lease is never taken; a silent holder
 * is declared dead and its leases claimed by exactly one node; the stale holder learns it at its
 * next beat and stops its copies; a holder that was itself silent judges nobody; a hand-over is
 * claimed at once; a finished run's lease is never claimed; the fence holds a run's events while
 * its lease is uncertain and drops them once it is lost.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { SimulatedClock } from 'xstate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  LeaseFence,
  LeaseManager,
  openLeaseKv,
  resolveLeaseOptions,
  type LeaseKv,
} from '../../../../src/runtime/leases/index.ts';
import type { ExecutionEvent } from '../../../../src/events.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../../helpers/nats-server.ts';
import { waitFor } from '../../../helpers/poll.ts';

const TTL = 3000;
const options = resolveLeaseOptions({ ttlMs: TTL });
const logger = pino({ level: 'silent' });

let server: NatsServer;
let nc: NatsConnection;
let managers: LeaseManager[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
}, 30_000);

afterEach(async () => {
  await Promise.all(managers.map((m) => m.close({ handOver: false })));
  managers = [];
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

interface Node {
  manager: LeaseManager;
  clock: SimulatedClock;
  lost: string[];
  claimed: string[];
}

async function node(kv: LeaseKv, name: string): Promise<Node> {
  const clock = new SimulatedClock();
  clock.set(Date.now());
  const lost: string[] = [];
  const claimed: string[] = [];
  const manager = new LeaseManager({
    kv,
    clock,
    logger,
    node: name,
    options,
    onLost: (refs) => lost.push(...refs.map((r) => r.id)),
    onClaimed: (ref) => claimed.push(ref.id),
  });
  await manager.start();
  managers.push(manager);
  return { manager, clock, lost, claimed };
}

/** Advances a node's clock by `ms` in beat-sized steps, beating on the way if `beating`. */
async function pass(n: Node, ms: number, beating: boolean): Promise<void> {
  for (let left = ms; left > 0; left -= options.beatMs) {
    n.clock.increment(Math.min(left, options.beatMs));
    if (beating) await n.manager.beat();
  }
}

async function bucket(): Promise<LeaseKv> {
  return openLeaseKv({ connection: nc, prefix: uniquePrefix('l') });
}

describe('LeaseManager', () => {
  it('never takes the lease of a live holder, and claims a silent one exactly once', async () => {
    const kv = await bucket();
    const [a, b, c] = [await node(kv, 'a'), await node(kv, 'b'), await node(kv, 'c')];
    expect(await a.manager.acquire('run-1')).toBe('acquired');
    expect(await a.manager.acquire('run-1')).toBe('mine');
    expect(await b.manager.acquire('run-1')).toBe('held');
    expect(a.manager.standing('run-1')).toBe('valid');

    await waitFor(() => c.manager.liveness.seen(a.manager.holder));
    // a beats; b and c see time pass: nobody takes its lease.
    await waitFor(() => b.manager.liveness.seen(a.manager.holder));
    for (let i = 0; i < 6; i++) {
      await pass(a, options.beatMs, true);
      await pass(b, options.beatMs, true);
      await pass(c, options.beatMs, true);
      await Promise.all([b.manager.sweep(), c.manager.sweep()]);
    }
    expect([...b.claimed, ...c.claimed]).toEqual([]);

    // a goes silent (no beats) for longer than the TTL, seen from b and c (their timers sweep).
    await pass(b, TTL + options.beatMs, true);
    await pass(c, TTL + options.beatMs, true);
    await waitFor(async () => {
      await Promise.all([b.manager.sweep(), c.manager.sweep()]);
      return b.claimed.length + c.claimed.length === 1;
    });
    await Promise.all([b.manager.sweep(), c.manager.sweep()]);
    expect([...b.claimed, ...c.claimed]).toEqual(['run-1']);
    const winner = b.claimed.length === 1 ? b : c;
    expect(winner.manager.standing('run-1')).toBe('valid');

    // a wakes up: it may not act on the run any more, and stops its copy once.
    expect(a.manager.problem()).toBeUndefined();
    a.clock.increment(TTL * 2);
    expect(a.manager.problem()).toMatch(/heartbeat unanswered/);
    expect(a.manager.standing('run-1')).not.toBe('valid');
    expect(await a.manager.confirm('run-1')).toBe(false);
    await a.manager.beat();
    expect(a.lost).toEqual(['run-1']);
    expect(a.manager.standing('run-1')).toBe('lost');
    await waitFor(() => a.manager.holder !== '');
    expect(a.manager.problem()).toBeUndefined();
    // It carries on as a new holder, which the winner does not take for dead.
    expect(await a.manager.acquire('run-2')).toBe('acquired');
    expect(await winner.manager.acquire('run-2')).toBe('held');
  });

  it('a holder whose own beats stopped judges nobody when it is back', async () => {
    const kv = await bucket();
    const [a, b] = [await node(kv, 'a'), await node(kv, 'b')];
    expect(await a.manager.acquire('run-1')).toBe('acquired');
    await waitFor(() => b.manager.liveness.seen(a.manager.holder));
    // b's clock jumps without b beating (b was stopped): a looks silent, but b is unsure of itself.
    b.clock.increment(TTL * 3);
    await b.manager.sweep();
    expect(b.claimed).toEqual([]);
    // b beats again: what it saw meanwhile is forgotten, a is judged afresh.
    await b.manager.beat();
    await b.manager.sweep();
    expect(b.claimed).toEqual([]);
    await a.manager.beat();
    expect(a.lost).toEqual([]);
  });

  it('a hand-over is claimed at once; a finished run is never claimed', async () => {
    const kv = await bucket();
    const [a, b] = [await node(kv, 'a'), await node(kv, 'b')];
    expect(await a.manager.acquire('done-1')).toBe('acquired');
    expect(await a.manager.acquire('open-1')).toBe('acquired');
    a.manager.release('done-1');
    await waitFor(async () => (await kv.get('x.done-1')) === undefined);
    await a.manager.close({ handOver: true });
    await waitFor(async () => {
      await b.manager.sweep();
      return b.claimed.length === 1;
    });
    expect(b.claimed).toEqual(['open-1']);
    expect(await kv.get('x.done-1')).toBeUndefined();
    expect(await b.manager.acquire('done-1')).toBe('acquired'); // a fresh lease, not a claim
  });
});

describe('LeaseFence', () => {
  it('passes events while valid, holds them while uncertain, drops them once lost', async () => {
    const kv = await bucket();
    const [a, b] = [await node(kv, 'a'), await node(kv, 'b')];
    const passed: string[] = [];
    const fence = new LeaseFence(a.manager, { emitExecution: (e) => passed.push(e.type) }, logger);
    const event = (type: string, executionId = 'run-1') =>
      ({
        type,
        executionId,
        workflowId: 'w',
        stepId: 's',
        attempt: 1,
      }) as unknown as ExecutionEvent;
    await a.manager.acquire('run-1');
    fence.emitExecution(event('step.started'));
    fence.emitExecution(event('step.started', 'not-mine'));
    expect(passed).toEqual(['step.started']);

    // Uncertain, and the beat confirms: held events pass, in order.
    a.clock.increment(TTL);
    fence.emitExecution(event('step.stdout'));
    fence.emitExecution(event('step.completed'));
    expect(passed).toEqual(['step.started']);
    await waitFor(() => passed.length === 3);
    expect(passed).toEqual(['step.started', 'step.stdout', 'step.completed']);

    // Uncertain again while b declares a dead and takes the run: the held outcome is dropped.
    await waitFor(() => b.manager.liveness.seen(a.manager.holder));
    await pass(b, TTL + options.beatMs, true);
    await waitFor(async () => {
      await b.manager.sweep();
      return b.claimed.length === 1;
    });
    a.clock.increment(TTL);
    fence.emitExecution(event('step.completed'));
    await waitFor(() => a.lost.length === 1);
    await a.manager.nextBeat();
    expect(passed).toEqual(['step.started', 'step.stdout', 'step.completed']);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, fromPromise, type AnyActorRef } from 'xstate';
import {
  backoffFor,
  sessionMachine,
  sessionStatusOf,
  type SessionMachineInput,
  type SpawnResult,
} from '../../../machines/session.machine.ts';
import type { SessionEvent } from '../../../src/events.ts';

const actors: AnyActorRef[] = [];
afterEach(() => {
  for (const a of actors.splice(0)) a.stop();
});

const T0 = Date.parse('2026-03-01T12:00:00Z');
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A session whose process spawns (pids 100, 101, ...) and stops at once unless told otherwise. */
function startSession(input: Partial<SessionMachineInput> = {}) {
  const clock = new SimulatedClock();
  clock.set(T0);
  const spawnResults: SpawnResult[] = [];
  let nextPid = 100;
  const spawned: number[] = [];
  const stops: Array<number | null> = [];
  let holdStop: Promise<void> | undefined;
  const machine = sessionMachine.provide({
    actors: {
      spawnProcess: fromPromise<SpawnResult, { sessionId: string }>(async () => {
        const result = spawnResults.shift() ?? { ok: true, pid: nextPid++ };
        if (result.ok) spawned.push(result.pid);
        return result;
      }),
      stopProcess: fromPromise<void, { sessionId: string; pid: number | null }>(
        async ({ input: i }) => {
          stops.push(i.pid);
          await holdStop;
        },
      ),
    },
  });
  const actor = createActor(machine, {
    clock,
    input: {
      sessionId: 'ses_1',
      restart: 'on_failure',
      maxRestarts: 5,
      restartWindowMs: 60_000,
      backoffMs: 500,
      backoffMaxMs: 30_000,
      quietMs: 1000,
      ...input,
    },
  });
  const events: SessionEvent[] = [];
  actor.on('*', (e) => events.push(e));
  actor.start();
  actors.push(actor);
  return {
    actor,
    clock,
    events,
    spawned,
    stops,
    spawnResults,
    /** Makes stopProcess wait for the returned release function. */
    holdStops() {
      let release!: () => void;
      holdStop = new Promise((resolve) => (release = resolve));
      return () => {
        holdStop = undefined;
        release();
      };
    },
    send: (e: Parameters<typeof actor.send>[0]) => actor.send(e),
    value: () => actor.getSnapshot().value,
    status: () => sessionStatusOf(actor.getSnapshot().value),
    ctx: () => actor.getSnapshot().context,
    statuses: () =>
      events.flatMap((e) => (e.type === 'session.status' ? [e.status] : ([] as string[]))),
    activities: () => events.flatMap((e) => (e.type === 'session.activity' ? [e.activity] : [])),
    async advance(ms: number) {
      clock.increment(ms);
      await tick();
    },
  };
}

async function running(s: ReturnType<typeof startSession>) {
  s.send({ type: 'start' });
  await tick();
  expect(s.value()).toEqual({ running: 'busy' });
}

describe('session machine', () => {
  it('starts, runs busy and announces every status with the pid', async () => {
    const s = startSession();
    expect(s.value()).toBe('created');
    await running(s);
    expect(s.statuses()).toEqual(['created', 'starting', 'running']);
    expect(s.activities()).toEqual(['busy']);
    expect(s.ctx().pid).toBe(100);
    const runningEvent = s.events.find(
      (e) => e.type === 'session.status' && e.status === 'running',
    );
    expect(runningEvent).toMatchObject({ sessionId: 'ses_1', pid: 100, restarts: 0 });
  });

  it('goes idle after a quiet period, busy on output, and resets the quiet timer on output', async () => {
    const s = startSession();
    await running(s);
    await s.advance(800);
    s.send({ type: 'output', prompt: false });
    await s.advance(800);
    expect(s.value()).toEqual({ running: 'busy' });
    await s.advance(200);
    expect(s.value()).toEqual({ running: 'idle' });
    s.send({ type: 'output', prompt: false });
    expect(s.value()).toEqual({ running: 'busy' });
    expect(s.activities()).toEqual(['busy', 'idle', 'busy']);
  });

  it('awaits input when the prompt matches, and is busy again once input is sent', async () => {
    const s = startSession();
    await running(s);
    s.send({ type: 'output', prompt: true });
    expect(s.value()).toEqual({ running: 'awaiting_input' });
    // A prompt printed in pieces is one wait: no second activity event.
    s.send({ type: 'output', prompt: true });
    await s.advance(10_000);
    expect(s.value()).toEqual({ running: 'awaiting_input' });
    s.send({ type: 'input.sent' });
    expect(s.value()).toEqual({ running: 'busy' });
    s.send({ type: 'output', prompt: false });
    s.send({ type: 'output', prompt: true });
    expect(s.activities()).toEqual(['busy', 'awaiting_input', 'busy', 'awaiting_input']);
  });

  it('with an idle rule, awaits input after that much silence while stdin is open', async () => {
    const s = startSession({ idleMs: 5000 });
    await running(s);
    await s.advance(4999);
    expect(s.value()).toEqual({ running: 'busy' });
    await s.advance(1);
    expect(s.value()).toEqual({ running: 'awaiting_input' });
    s.send({ type: 'stdin.closed' });
    s.send({ type: 'output', prompt: false });
    await s.advance(1000);
    expect(s.value()).toEqual({ running: 'idle' });
  });

  it('restarts a crash under on_failure with doubling backoff and counts restarts', async () => {
    const s = startSession();
    await running(s);
    s.send({ type: 'exited', code: 1, signal: null, at: T0 + 1000 });
    expect(s.value()).toBe('restarting');
    expect(s.ctx()).toMatchObject({ exitCode: 1, lastError: 'exited with code 1' });
    const restarting = s.events.filter(
      (e) => e.type === 'session.status' && e.status === 'restarting',
    );
    expect(restarting[0]).toMatchObject({ delayMs: 500 });
    await s.advance(499);
    expect(s.value()).toBe('restarting');
    await s.advance(1);
    expect(s.value()).toEqual({ running: 'busy' });
    expect(s.ctx()).toMatchObject({ restarts: 1, pid: 101, lastError: null });
    s.send({ type: 'exited', code: null, signal: 'SIGSEGV', at: T0 + 2000 });
    expect(s.ctx()).toMatchObject({ restartDelayMs: 1000, lastError: 'killed by SIGSEGV' });
    await s.advance(1000);
    expect(s.ctx().restarts).toBe(2);
    expect(s.statuses()).toEqual([
      'created',
      'starting',
      'running',
      'crashed',
      'restarting',
      'starting',
      'running',
      'crashed',
      'restarting',
      'starting',
      'running',
    ]);
  });

  it('caps the backoff at backoffMaxMs', () => {
    const ctx = { backoffMs: 500, backoffMaxMs: 1500 };
    expect([0, 1, 2, 3, 10].map((n) => backoffFor(ctx, n))).toEqual([500, 1000, 1500, 1500, 1500]);
  });

  it('fails once maxRestarts restarts happened within the window', async () => {
    const s = startSession({ maxRestarts: 2, backoffMs: 10 });
    await running(s);
    for (let i = 0; i < 2; i++) {
      s.send({ type: 'exited', code: 3, signal: null, at: T0 + i * 100 });
      expect(s.value()).toBe('restarting');
      await s.advance(1000);
    }
    s.send({ type: 'exited', code: 3, signal: null, at: T0 + 300 });
    expect(s.value()).toBe('failed');
    expect(s.ctx().restarts).toBe(2);
    expect(s.ctx().lastError).toMatch(/exited with code 3; 2 restarts within 60000 ms/);
    // A person may start it again; the window starts over.
    s.send({ type: 'start' });
    await tick();
    s.send({ type: 'exited', code: 3, signal: null, at: T0 + 400 });
    expect(s.value()).toBe('restarting');
  });

  it('forgets restarts older than the window', async () => {
    const s = startSession({ maxRestarts: 1, restartWindowMs: 10_000, backoffMs: 10 });
    await running(s);
    s.send({ type: 'exited', code: 1, signal: null, at: T0 });
    await s.advance(10);
    s.send({ type: 'exited', code: 1, signal: null, at: T0 + 20_000 });
    expect(s.value()).toBe('restarting');
    // The backoff starts over too: only restarts within the window count.
    expect(s.ctx().restartDelayMs).toBe(10);
  });

  it('stays crashed under never, and stops cleanly after exit code 0 unless always', async () => {
    const never = startSession({ restart: 'never' });
    await running(never);
    never.send({ type: 'exited', code: 2, signal: null, at: T0 });
    expect(never.value()).toBe('crashed');
    await never.advance(60_000);
    expect(never.value()).toBe('crashed');
    never.send({ type: 'start' });
    await tick();
    expect(never.status()).toBe('running');

    const onFailure = startSession();
    await running(onFailure);
    onFailure.send({ type: 'exited', code: 0, signal: null, at: T0 });
    expect(onFailure.value()).toBe('stopped');
    expect(onFailure.ctx()).toMatchObject({ exitCode: 0, lastError: null, pid: null });

    const always = startSession({ restart: 'always' });
    await running(always);
    always.send({ type: 'exited', code: 0, signal: null, at: T0 });
    expect(always.value()).toBe('restarting');
    expect(always.statuses()).not.toContain('crashed');
  });

  it('stops through stopping, and restart stops then starts without counting a restart', async () => {
    const s = startSession();
    await running(s);
    const release = s.holdStops();
    s.send({ type: 'stop' });
    expect(s.value()).toBe('stopping');
    expect(s.stops).toEqual([100]);
    s.send({ type: 'exited', code: null, signal: 'SIGTERM', at: T0 });
    release();
    await tick();
    expect(s.value()).toBe('stopped');
    expect(s.ctx()).toMatchObject({ signal: 'SIGTERM', pid: null });
    s.send({ type: 'start' });
    await tick();
    s.send({ type: 'restart' });
    await tick();
    await tick();
    expect(s.value()).toEqual({ running: 'busy' });
    expect(s.spawned).toEqual([100, 101, 102]);
    expect(s.ctx().restarts).toBe(0);
  });

  it('a stop during the backoff cancels the pending restart', async () => {
    const s = startSession();
    await running(s);
    s.send({ type: 'exited', code: 1, signal: null, at: T0 });
    s.send({ type: 'stop' });
    expect(s.value()).toBe('stopped');
    await s.advance(60_000);
    expect(s.value()).toBe('stopped');
    expect(s.spawned).toEqual([100]);
  });

  it('a failed spawn is a crash handled by the policy', async () => {
    const s = startSession({ maxRestarts: 1, backoffMs: 10 });
    s.spawnResults.push(
      { ok: false, error: 'spawn nope ENOENT', at: T0 },
      { ok: false, error: 'spawn nope ENOENT', at: T0 + 10 },
    );
    s.send({ type: 'start' });
    await tick();
    expect(s.value()).toBe('restarting');
    expect(s.ctx().lastError).toBe('spawn nope ENOENT');
    await s.advance(10);
    await tick();
    expect(s.value()).toBe('failed');
  });

  it('restores a session whose process died with the server as crashed, then applies its policy', async () => {
    const s = startSession({ restarts: 3, restartTimes: [T0 - 1000] });
    s.send({ type: 'restore', status: 'running', at: T0 });
    expect(s.value()).toBe('restarting');
    expect(s.ctx()).toMatchObject({
      lastError: 'the process was lost when the server stopped',
      restartDelayMs: 1000,
    });
    expect(s.statuses()).toEqual(['created', 'crashed', 'restarting']);
    await s.advance(1000);
    expect(s.ctx().restarts).toBe(4);

    const never = startSession({ restart: 'never' });
    never.send({ type: 'restore', status: 'starting', at: T0 });
    expect(never.value()).toBe('crashed');

    for (const status of ['stopped', 'failed', 'created'] as const) {
      const other = startSession();
      other.send({ type: 'restore', status, at: T0 });
      expect(other.value()).toBe(status);
    }
  });

  it('resumes from a persisted snapshot in the same state', async () => {
    const s = startSession();
    await running(s);
    s.send({ type: 'output', prompt: true });
    const snapshot = JSON.parse(JSON.stringify(s.actor.getPersistedSnapshot()));
    const again = createActor(sessionMachine, { snapshot, input: s.actor.getSnapshot().context });
    actors.push(again);
    again.start();
    expect(again.getSnapshot().value).toEqual({ running: 'awaiting_input' });
    expect(again.getSnapshot().context.pid).toBe(100);
  });
});

/**
 * Sessions run by a real process host (a private host per test, see test/unit/host/host-fixture):
 * launches under `session:<id>:<n>`, closing a manager without stopping them, and a new manager
 * on the same store re-attaching (same pid and counters, missed output in order, stdin), an exit
 * while no manager followed, a launch lost with its host, and the clean-up of stale launches.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.ts';
import type { SessionEvent } from '../../../src/events.ts';
import type { HostClient } from '../../../src/host/index.ts';
import {
  createSessionManager,
  type LocalSessionManager,
  type SessionView,
} from '../../../src/sessions/index.ts';
import { createMemoryStore, createSqliteStore, type Store } from '../../../src/store/index.ts';
import { isGone, ProcessTracker, waitGone } from '../../fixtures/exec/process-tracker.ts';
import { waitFor } from '../../helpers/poll.ts';
import { hostFixture, type HostFixture } from '../host/host-fixture.ts';

type Recorded = SessionEvent & { id: string };
const LOST = 'the process was lost when the server stopped';
/** Prints `tick <n>` every 50 ms. */
const TICKER = 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); echo "tick $i"; sleep 0.05; done';

let fx: HostFixture;
let store: Store;
const tracker = new ProcessTracker();
const managers: LocalSessionManager[] = [];

beforeEach(() => {
  fx = hostFixture();
  store = createSqliteStore({ path: join(fx.dataDir, 'stator.db') });
});

afterEach(async () => {
  for (const m of managers.splice(0)) await m.close({ stopProcesses: true });
  tracker.killSurvivors();
  await store.close();
  await fx.cleanup();
});

/** A manager on the shared store, driving `host`, recording its events in `events`. */
function manager(host: HostClient, events: Recorded[] = []): LocalSessionManager {
  const m = createSessionManager({
    store,
    emit: (id, event) => events.push({ ...event, id }),
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    node: 'test-node',
    host,
    options: { killGraceMs: 300, quietMs: 200 },
  });
  managers.push(m);
  return m;
}

/** Closes `m` the way a server shutdown does (the host keeps the processes) and disconnects. */
async function shutDown(m: LocalSessionManager, host: HostClient): Promise<void> {
  await m.close();
  managers.splice(managers.indexOf(m), 1);
  host.close();
  await host.closed;
}

async function until(
  m: LocalSessionManager,
  id: string,
  pred: (v: SessionView) => boolean,
): Promise<SessionView> {
  return waitFor(
    async () => {
      const v = await m.get(id);
      tracker.track(v.pid);
      return pred(v) ? v : undefined;
    },
    { timeoutMs: 15_000, message: `session ${id}` },
  );
}

const statuses = (events: Recorded[], id: string) =>
  events.flatMap((e) => (e.id === id && e.type === 'session.status' ? [e.status] : []));
const stdout = (events: Recorded[], id: string) =>
  events.flatMap((e) => (e.id === id && e.type === 'session.stdout' ? [e] : []));
const heldKeys = async (host: HostClient) =>
  (await host.list()).map((p) => `${p.key} ${p.state}`).sort();

describe('sessions on a process host', () => {
  it('launches each start under session:<id>:<n>, writes stdin through the host and releases ended launches', async () => {
    const host = await fx.connect();
    const m = manager(host);
    const v = await m.create({ name: 'cat', command: ['cat'], autostart: true });
    tracker.track(v.pid);
    expect(await heldKeys(host)).toEqual([`session:${v.id}:1 running`]);
    expect((await host.list())[0]?.pid).toBe(v.pid);
    expect((await store.getSession(v.id))?.hostProcess).toEqual({
      launch: 1,
      offset: 0,
      seqBase: 0,
    });
    await m.input(v.id, 'hello');
    await waitFor(async () => (await m.logs(v.id)).some((l) => l.line === 'hello'));

    const again = await m.restart(v.id);
    tracker.track(again.pid);
    expect(again.pid).not.toBe(v.pid);
    await waitFor(async () => (await heldKeys(host)).join() === `session:${v.id}:2 running`, {
      message: 'launch 1 released, launch 2 running',
    });
    await m.input(v.id, 'again');
    const logs = await waitFor(async () => {
      const lines = await m.logs(v.id);
      return lines.some((l) => l.line === 'again') ? lines : undefined;
    });
    // Launch 2 numbers its lines after launch 1's.
    expect(logs.map((l) => [l.seq, l.line])).toEqual([
      [1, 'hello'],
      [2, 'again'],
    ]);

    await m.stop(v.id);
    expect(await waitGone(again.pid!, 5000)).toBe(true);
    await waitFor(async () => (await host.list()).length === 0, { message: 'launch 2 released' });
  });

  it('close leaves the processes to the host; a new manager re-attaches with the same pid, counters and stdin, and hands on what was missed once, in order', async () => {
    const host1 = await fx.connect();
    const events1: Recorded[] = [];
    const m1 = manager(host1, events1);
    const cat = await m1.create({ name: 'cat', command: ['cat'], autostart: true });
    const ticker = await m1.create({ name: 'ticker', run: TICKER, autostart: true });
    tracker.track(cat.pid);
    tracker.track(ticker.pid);
    await m1.input(cat.id, 'before');
    await waitFor(() => stdout(events1, ticker.id).length >= 5);
    await waitFor(() => stdout(events1, cat.id).length === 1);
    await shutDown(m1, host1);
    const lastBefore = stdout(events1, ticker.id).length;
    expect(isGone(cat.pid!)).toBe(false);
    expect(isGone(ticker.pid!)).toBe(false);
    await new Promise((r) => setTimeout(r, 600)); // ~12 ticks while nobody follows

    const host2 = await fx.connect();
    expect(host2.hostPid).toBe(host1.hostPid);
    const events2: Recorded[] = [];
    const m2 = manager(host2, events2);
    await m2.restore();
    expect(await m2.get(cat.id)).toMatchObject({ status: 'running', pid: cat.pid, restarts: 0 });
    expect(await m2.get(ticker.id)).toMatchObject({ status: 'running', pid: ticker.pid });
    const ticks = await waitFor(() => {
      const e = stdout(events2, ticker.id);
      return e.length >= 15 ? e : undefined;
    });
    // Events go on after the last one of the first manager: no line twice, none missing.
    expect(ticks.map((e) => e.line)).toEqual(ticks.map((_, i) => `tick ${lastBefore + 1 + i}`));
    expect(ticks.map((e) => e.logSeq)).toEqual(ticks.map((_, i) => lastBefore + 1 + i));
    // The log ring holds the whole run again, numbered as before.
    const logs = await m2.logs(ticker.id);
    expect(logs.map((l) => l.line)).toEqual(logs.map((_, i) => `tick ${i + 1}`));
    expect(logs.map((l) => l.seq)).toEqual(logs.map((_, i) => i + 1));
    expect((await m2.logs(cat.id)).map((l) => l.line)).toEqual(['before']);

    await m2.input(cat.id, 'after');
    await waitFor(async () => (await m2.logs(cat.id)).some((l) => l.line === 'after'));
    expect(statuses(events2, cat.id)).toEqual([]);
    expect(statuses(events2, ticker.id)).toEqual([]);
    expect(stdout(events2, cat.id).map((e) => e.line)).toEqual(['after']);

    await m2.close({ stopProcesses: true });
    expect(await waitGone(cat.pid!, 5000)).toBe(true);
    expect(await waitGone(ticker.pid!, 5000)).toBe(true);
    expect(await host2.list()).toEqual([]);
  });

  it('an exit while no manager followed is handled once, by the policy, when the next one re-attaches', async () => {
    const go = join(fx.dataDir, 'go');
    const script =
      `if [ -e ${go}.done ]; then echo again; exec sleep 300; fi; echo up; ` +
      `while [ ! -e ${go} ]; do sleep 0.02; done; echo bye; touch ${go}.done; exit 3`;
    const host1 = await fx.connect();
    const m1 = manager(host1);
    const v = await m1.create({ name: 'once', run: script, backoff: '20ms', autostart: true });
    tracker.track(v.pid);
    await waitFor(async () => (await m1.logs(v.id)).length === 1);
    await shutDown(m1, host1);
    writeFileSync(go, '');
    await waitFor(() => existsSync(`${go}.done`) && isGone(v.pid!), { message: 'exit meanwhile' });

    const host2 = await fx.connect();
    const events: Recorded[] = [];
    const m2 = manager(host2, events);
    await m2.restore();
    const back = await until(m2, v.id, (s) => s.status === 'running' && s.pid !== v.pid);
    expect(back).toMatchObject({ restarts: 1, exitCode: null });
    expect(statuses(events, v.id)).toEqual(['crashed', 'restarting', 'starting', 'running']);
    expect(events.find((e) => e.type === 'session.status')).toMatchObject({
      exitCode: 3,
      error: 'exited with code 3',
    });
    await waitFor(async () => (await m2.logs(v.id)).some((l) => l.line === 'again'));
    expect((await m2.logs(v.id)).map((l) => l.line)).toEqual(['up', 'bye', 'again']);
    await waitFor(async () => (await heldKeys(host2)).join() === `session:${v.id}:2 running`, {
      message: 'the ended launch released',
    });
  });

  it('a launch lost with its host is reported crashed, its unread output handed on, and the policy restarts it', async () => {
    const host1 = await fx.connect();
    const events1: Recorded[] = [];
    const m1 = manager(host1, events1);
    const v = await m1.create({ name: 'ticker', run: TICKER, backoff: '20ms', autostart: true });
    tracker.track(v.pid);
    await waitFor(() => stdout(events1, v.id).length >= 3);
    await shutDown(m1, host1);
    const lastBefore = stdout(events1, v.id).length;
    await new Promise((r) => setTimeout(r, 300));
    process.kill(host1.hostPid, 'SIGKILL');
    await waitFor(() => isGone(host1.hostPid), { message: 'host gone' });

    // Reaps what the dead host left (the ticker is killed). A connection tried while the dead
    // host's socket is torn down may be reset (connectHost does not retry that one).
    const host2 = await waitFor(() => fx.connect(), { message: 'a new host' });
    expect(host2.reaped?.killed).toEqual([`session:${v.id}:1`]);
    expect(await waitGone(v.pid!, 5000)).toBe(true);
    const events2: Recorded[] = [];
    const m2 = manager(host2, events2);
    await m2.restore();
    const back = await until(m2, v.id, (s) => s.status === 'running');
    tracker.track(back.pid);
    expect(back.pid).not.toBe(v.pid);
    expect(back.restarts).toBe(1);
    expect(statuses(events2, v.id)).toEqual(['crashed', 'restarting', 'starting', 'running']);
    expect(events2.find((e) => e.type === 'session.status')).toMatchObject({ error: LOST });
    // What the ticker wrote after the first manager left came first, in order.
    const crashedAt = events2.findIndex((e) => e.type === 'session.status');
    const lost = stdout(events2.slice(0, crashedAt), v.id);
    expect(lost.length).toBeGreaterThan(2);
    expect(lost.map((e) => e.line)).toEqual(lost.map((_, i) => `tick ${lastBefore + 1 + i}`));
    await waitFor(async () => (await heldKeys(host2)).join() === `session:${v.id}:2 running`, {
      message: 'the lost launch released',
    });
  });

  it('a prompt written while no manager followed is awaiting input once re-attached', async () => {
    const slowRepl = `printf '> '; while IFS= read -r l; do sleep 0.4; echo "echo: $l"; printf '> '; done`;
    const host1 = await fx.connect();
    const m1 = manager(host1);
    const v = await m1.create({
      name: 'repl',
      run: slowRepl,
      attention: { prompt: '^> $' },
      autostart: true,
    });
    tracker.track(v.pid);
    await until(m1, v.id, (s) => s.activity === 'awaiting_input');
    expect((await m1.input(v.id, 'hi')).activity).toBe('busy');
    await shutDown(m1, host1); // stored busy; the answer and the next prompt come meanwhile
    await new Promise((r) => setTimeout(r, 700));

    const events: Recorded[] = [];
    const m2 = manager(await fx.connect(), events);
    await m2.restore();
    const back = await until(m2, v.id, (s) => s.activity === 'awaiting_input');
    expect(back).toMatchObject({ status: 'running', pid: v.pid });
    expect(events.filter((e) => e.type === 'session.activity').map((e) => e.activity)).toEqual([
      'awaiting_input',
    ]);
    expect(stdout(events, v.id).map((e) => e.line)).toEqual(['echo: hi']);
  });

  it('a session stored as starting takes back the launch the host holds', async () => {
    const host1 = await fx.connect();
    const m1 = manager(host1);
    const v = await m1.create({ name: 'cat', command: ['cat'], autostart: true });
    tracker.track(v.pid);
    await shutDown(m1, host1);
    // As if the server died after the spawn, before it stored `running`.
    const record = (await store.getSession(v.id))!;
    await store.putSession({ ...record, status: 'starting', pid: null });

    const events: Recorded[] = [];
    const m2 = manager(await fx.connect(), events);
    await m2.restore();
    expect(await m2.get(v.id)).toMatchObject({ status: 'running', pid: v.pid, restarts: 0 });
    expect(statuses(events, v.id)).toEqual(['starting', 'running']);
    await m2.input(v.id, 'still here');
    await waitFor(async () => (await m2.logs(v.id)).some((l) => l.line === 'still here'));
  });

  it('a session stored as stopping is stopped, whether its process still runs or ended meanwhile', async () => {
    const host1 = await fx.connect();
    const m1 = manager(host1);
    const running = await m1.create({ name: 'running', command: ['cat'], autostart: true });
    const ended = await m1.create({ name: 'ended', command: ['cat'], autostart: true });
    tracker.track(running.pid);
    tracker.track(ended.pid);
    await shutDown(m1, host1);
    // As if the server died while stopping them; the host finished one of the stops meanwhile.
    for (const v of [running, ended]) {
      const record = (await store.getSession(v.id))!;
      await store.putSession({ ...record, status: 'stopping' });
    }
    const host2 = await fx.connect();
    await host2.cancel(`session:${ended.id}:1`);
    expect(await waitGone(ended.pid!, 5000)).toBe(true);

    const events: Recorded[] = [];
    const m2 = manager(host2, events);
    await m2.restore();
    for (const v of [running, ended]) {
      await until(m2, v.id, (s) => s.status === 'stopped');
      expect(statuses(events, v.id)).toEqual(['stopping', 'stopped']);
      expect((await m2.get(v.id)).restarts).toBe(0);
    }
    expect(await waitGone(running.pid!, 5000)).toBe(true);
    await waitFor(async () => (await host2.list()).length === 0, { message: 'both released' });
  });

  it('close with stopProcesses ends them; the next restore finds them lost', async () => {
    const host1 = await fx.connect();
    const m1 = manager(host1);
    const created = await m1.create({ name: 'cat', command: ['cat'], restart: 'never' });
    const v = await m1.start(created.id);
    tracker.track(v.pid);
    await m1.close({ stopProcesses: true });
    expect(await waitGone(v.pid!, 5000)).toBe(true);
    expect(await host1.list()).toEqual([]);
    expect((await store.getSession(v.id))?.status).toBe('running');

    const m2 = manager(host1);
    await m2.restore();
    expect(await m2.get(v.id)).toMatchObject({ status: 'crashed', lastError: LOST });
  });

  it('when the host dies under a running manager, its sessions are ended and handled by the policy', async () => {
    const host = await fx.connect();
    const m = manager(host);
    const created = await m.create({ name: 'cat', command: ['cat'], restart: 'never' });
    const v = await m.start(created.id);
    tracker.track(v.pid);
    process.kill(host.hostPid, 'SIGKILL');
    const crashed = await until(m, v.id, (s) => s.status === 'crashed');
    expect(crashed).toMatchObject({ pid: null, lastError: 'killed by SIGKILL' });
    expect(await waitGone(v.pid!, 5000)).toBe(true);
    await expect(m.start(v.id)).resolves.toMatchObject({ status: 'crashed' });
  });

  it('a command that cannot start is a crash, and its launch is released', async () => {
    const host = await fx.connect();
    const m = manager(host);
    const v = await m.create({
      name: 'missing',
      command: ['/nonexistent/program'],
      restart: 'never',
      autostart: true,
    });
    expect(v.status).toBe('crashed');
    expect(v.lastError).toMatch(/ENOENT/);
    await waitFor(async () => (await host.list()).length === 0, { message: 'launch released' });
  });

  it('restore ends and releases launches no stored session needs', async () => {
    const host = await fx.connect();
    const m1 = manager(host);
    const kept = await m1.create({ name: 'stopped', command: ['cat'] });
    await shutDown(m1, host);
    const spec = (key: string) => ({
      key,
      argv: ['sleep', '300'],
      cwd: fx.dataDir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    const host2 = await fx.connect();
    const stale = await host2.spawn(spec(`session:${kept.id}:4`));
    const orphan = await host2.spawn(spec('session:ses_gone:1'));
    const step = await host2.spawn(spec('step:e1:s1:1'));
    for (const r of [stale, orphan, step]) tracker.track(r.process.pid);

    await manager(host2).restore();
    expect(await waitGone(stale.process.pid!, 5000)).toBe(true);
    expect(await waitGone(orphan.process.pid!, 5000)).toBe(true);
    await waitFor(async () => (await heldKeys(host2)).join() === 'step:e1:s1:1 running', {
      message: 'only the step left',
    });
    await host2.cancel('step:e1:s1:1');
  });
});

describe('session records', () => {
  it('keep where a session stands in the host, in every store', async () => {
    const hostProcess = { launch: 3, offset: 120, seqBase: 40 };
    for (const s of [store, createMemoryStore()]) {
      const m = createSessionManager({
        store: s,
        emit: () => undefined,
        clock: systemClock,
        logger: pino({ level: 'silent' }),
        node: 'n',
      });
      const v = await m.create({ name: 'rec', command: ['cat'] });
      const record = (await s.getSession(v.id))!;
      expect(record.hostProcess).toBeUndefined();
      await s.putSession({ ...record, hostProcess });
      expect((await s.getSession(v.id))?.hostProcess).toEqual(hostProcess);
      expect((await s.listSessions())[0]?.hostProcess).toEqual(hostProcess);
      await m.close();
    }
  });
});

/**
 * Sessions across a restart of the server. With the process host (the default on a data
 * directory), a session keeps running through a kill -9 of the server: same pid, same restart
 * count, the output written while no server ran is in its logs once and in order, and stdin
 * works again; when the host dies with the server, the session is reported crashed, its policy
 * restarts it, and nothing of the old process is left. Without a host (`processHost: false`),
 * session processes are the server's children: a restart ends them and reports them crashed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { StampedEvent } from '../../../src/events.ts';
import type { SessionView } from '../../../src/sessions/index.ts';
import { isGone, waitGone } from '../../fixtures/exec/process-tracker.ts';
import { killGroup, startChildServer, type ChildServer } from '../../helpers/child-server.ts';
import { waitFor } from '../../helpers/poll.ts';
import { startStator, tempDir, type TestStator } from '../../helpers/stator.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const REPL = ['sh', join(ROOT, 'test', 'fixtures', 'sessions', 'echo-repl.sh')];
const SERVE_DOOMED = join(import.meta.dirname, 'fixtures', 'serve-doomed.ts');
const SLOW = 90_000;
const SESSIONS = { killGraceMs: 1000, quietMs: 200 };
const LOST = 'the process was lost when the server stopped';

interface Ready {
  cat: { id: string; pid: number };
  ticker: { id: string; pid: number };
  sleeper: { id: string; pid: number };
}

let t: TestStator | undefined;
let server: ChildServer<Ready> | undefined;
let dataDir: Awaited<ReturnType<typeof tempDir>> | undefined;
const pids: number[] = [];

afterEach(async () => {
  await server?.crash();
  server = undefined;
  // Session processes belong to the host, which a close leaves running: end them first.
  await t?.stator.sessions.close({ stopProcesses: true });
  await t?.close();
  t = undefined;
  for (const pid of pids.splice(0)) killGroup(pid);
  await dataDir?.remove();
  dataDir = undefined;
});

/** The session events of `id` since the service started (replayed by the monitor), live on. */
function eventsOf(id: string): { events: StampedEvent[]; stop(): void } {
  const events: StampedEvent[] = [];
  const sub = t!.stator.subscribe((e) => void events.push(e), {
    since: 0,
    filter: { kind: 'session', id },
    bufferSize: 100_000,
  });
  return { events, stop: () => sub.unsubscribe() };
}

/** The first `n` status events of a session since the service started. */
async function statusEvents(id: string, n: number): Promise<StampedEvent[]> {
  const { events, stop } = eventsOf(id);
  try {
    const statuses = () => events.filter((e) => e.type === 'session.status');
    await waitFor(() => statuses().length >= n, { message: `${n} status events of ${id}` });
    return statuses().slice(0, n);
  } finally {
    stop();
  }
}

/** The statuses of the first `n` status events of a session since the service started. */
async function statusOf(id: string, n: number): Promise<string[]> {
  return (await statusEvents(id, n)).map((e) => (e as { status?: string }).status ?? '');
}

async function until(id: string, pred: (v: SessionView) => boolean): Promise<SessionView> {
  return waitFor(
    async () => {
      const v = await t!.stator.sessions.get(id);
      if (v.pid) t!.processes.track(v.pid);
      return pred(v) ? v : undefined;
    },
    { timeoutMs: 20_000, message: `session ${id}` },
  );
}

/** Starts the doomed server on a fresh data directory and waits for some ticks. */
async function doomedServer(mode: 'host' | 'children'): Promise<Ready> {
  dataDir = await tempDir('stator-sessions-crash-');
  server = await startChildServer<Ready>(SERVE_DOOMED, { args: [dataDir.path, mode] });
  const ready = server.ready;
  pids.push(ready.cat.pid, ready.ticker.pid, ready.sleeper.pid);
  return ready;
}

/** `tick <n> <ms>` lines as [n, ms]. */
function ticks(lines: string[]): Array<[number, number]> {
  return lines.map((l) => {
    const [word, n, ms] = l.split(' ');
    expect(word).toBe('tick');
    return [Number(n), Number(ms)];
  });
}

describe('sessions across a server restart, with the process host', () => {
  it(
    'kill -9 of the server: cat and a ticker keep their pids and counts, the ticks written meanwhile are logged once and in order, stdin works',
    { timeout: SLOW },
    async () => {
      const { cat, ticker } = await doomedServer('host');
      await new Promise((r) => setTimeout(r, 500));
      const downAt = Date.now();
      await server!.crash();
      server = undefined;
      expect(isGone(cat.pid)).toBe(false);
      expect(isGone(ticker.pid)).toBe(false);
      await new Promise((r) => setTimeout(r, 1000)); // ~10 ticks while no server runs

      const upAt = Date.now();
      t = await startStator({ dataDir: dataDir!.path, sessions: SESSIONS });
      dataDir = undefined; // removed by the harness
      const { sessions } = t.stator;
      expect(await sessions.get(cat.id)).toMatchObject({
        status: 'running',
        pid: cat.pid,
        restarts: 0,
      });
      expect(await sessions.get(ticker.id)).toMatchObject({
        status: 'running',
        pid: ticker.pid,
        restarts: 0,
      });

      const ticker$ = eventsOf(ticker.id);
      const cat$ = eventsOf(cat.id);
      const stdoutOf = (events: StampedEvent[]) =>
        events.flatMap((e) => (e.type === 'session.stdout' ? [e.line] : []));
      await waitFor(() => ticks(stdoutOf(ticker$.events)).some(([, ms]) => ms > upAt), {
        message: 'a tick after the restart',
      });
      const logged = ticks((await sessions.logs(ticker.id)).map((l) => l.line));
      // Every tick once, in order, from the first: no gap, no duplicate.
      expect(logged.map(([n]) => n)).toEqual(logged.map((_, i) => i + 1));
      const whileDown = logged.filter(([, ms]) => ms > downAt && ms < upAt);
      expect(whileDown.length).toBeGreaterThanOrEqual(5);
      // The events hand on at least what was written while down, in order (after a kill -9 the
      // last few lines before it may come again: never a gap).
      const evented = ticks(stdoutOf(ticker$.events)).map(([n]) => n);
      expect(evented).toEqual(evented.map((_, i) => evented[0]! + i));
      expect(evented[0]).toBeLessThanOrEqual(whileDown[0]![0]);

      await sessions.input(cat.id, 'after the crash');
      await waitFor(() => stdoutOf(cat$.events).includes('after the crash'));
      expect(await sessions.logs(cat.id)).toMatchObject([{ line: 'after the crash' }]);
      // Still running as before: no status event since the restart.
      for (const { events, stop } of [ticker$, cat$]) {
        stop();
        expect(events.filter((e) => e.type === 'session.status')).toEqual([]);
      }
    },
  );

  it(
    'kill -9 of the server and its host: the session is reported crashed, restarted by its policy, and its old process is gone',
    { timeout: SLOW },
    async () => {
      const { cat } = await doomedServer('host');
      const info = JSON.parse(await readFile(join(dataDir!.path, 'host', 'host.json'), 'utf8'));
      const hostPid = (info as { pid: number }).pid;
      process.kill(hostPid, 'SIGKILL');
      await server!.crash();
      server = undefined;
      await waitFor(() => isGone(hostPid), { message: 'host gone' });

      t = await startStator({ dataDir: dataDir!.path, sessions: SESSIONS });
      dataDir = undefined;
      expect(await waitGone(cat.pid, 5000)).toBe(true);
      const back = await until(cat.id, (v) => v.status === 'running');
      expect(back).toMatchObject({ restarts: 1 });
      expect(back.pid).not.toBe(cat.pid);
      const statuses = await statusEvents(cat.id, 4);
      expect(statuses.map((e) => (e as { status?: string }).status)).toEqual([
        'crashed',
        'restarting',
        'starting',
        'running',
      ]);
      expect(statuses[0]).toMatchObject({ error: LOST });
      await t.stator.sessions.input(cat.id, 'new cat');
      await waitFor(async () =>
        (await t!.stator.sessions.logs(cat.id)).some((l) => l.line === 'new cat'),
      );
    },
  );

  it(
    'a graceful restart keeps running sessions; stopped and deleted ones leave no process',
    { timeout: SLOW },
    async () => {
      t = await startStator({ sessions: SESSIONS });
      const { sessions } = t.stator;
      const auto = await sessions.create({ name: 'auto', command: ['cat'], autostart: true });
      const stopped = await sessions.create({ name: 'stopped', command: ['cat'] });
      const stoppedPid = (await sessions.start(stopped.id)).pid!;
      await sessions.stop(stopped.id);
      const deleted = await sessions.create({ name: 'deleted', command: ['cat'], autostart: true });
      await sessions.delete(deleted.id);
      for (const pid of [auto.pid!, stoppedPid, deleted.pid!]) t.processes.track(pid);
      expect(await waitGone(stoppedPid, 5000)).toBe(true);
      expect(await waitGone(deleted.pid!, 5000)).toBe(true);

      await t.restart();
      const again = t.stator.sessions;
      expect(await again.get(auto.id)).toMatchObject({
        status: 'running',
        pid: auto.pid,
        restarts: 0,
      });
      expect((await again.get(stopped.id)).status).toBe('stopped');
      await expect(again.get(deleted.id)).rejects.toMatchObject({ code: 'not_found' });
      const { events, stop } = eventsOf(auto.id);
      await again.input(auto.id, 'same cat');
      await waitFor(() => events.some((e) => e.type === 'session.stdout'));
      stop();
      expect(events.filter((e) => e.type === 'session.status')).toEqual([]);
    },
  );
});

describe('sessions across a server restart, without a process host', () => {
  it(
    'brings autostart sessions back, reports the one that was running as crashed, and leaves no process of a stopped or deleted session',
    { timeout: SLOW },
    async () => {
      t = await startStator({ sessions: SESSIONS, processHost: false });
      const { sessions } = t.stator;
      const auto = await sessions.create({ name: 'auto', command: ['cat'], autostart: true });
      const repl = await sessions.create({
        name: 'repl',
        command: REPL,
        attention: { prompt: '^> $' },
        restart: 'never',
      });
      const replPid = (await sessions.start(repl.id)).pid!;
      const stopped = await sessions.create({ name: 'stopped', command: ['cat'] });
      const stoppedPid = (await sessions.start(stopped.id)).pid!;
      await sessions.stop(stopped.id);
      const deleted = await sessions.create({ name: 'deleted', command: ['cat'], autostart: true });
      await sessions.delete(deleted.id);
      for (const pid of [auto.pid!, replPid, stoppedPid, deleted.pid!]) t.processes.track(pid);
      expect(await waitGone(stoppedPid, 5000)).toBe(true);
      expect(await waitGone(deleted.pid!, 5000)).toBe(true);

      await t.restart();
      const again = t.stator.sessions;
      // Nothing of the previous server runs on.
      for (const pid of [auto.pid!, replPid]) expect(await waitGone(pid, 5000)).toBe(true);

      const autoBack = await until(auto.id, (v) => v.status === 'running');
      expect(autoBack.pid).not.toBe(auto.pid);
      expect(await again.get(repl.id)).toMatchObject({
        status: 'crashed',
        pid: null,
        lastError: LOST,
      });
      expect(await statusOf(repl.id, 1)).toEqual(['crashed']);
      expect((await again.get(stopped.id)).status).toBe('stopped');
      await expect(again.get(deleted.id)).rejects.toMatchObject({ code: 'not_found' });
      expect((await again.list()).items.map((s) => s.name)).toEqual(['auto', 'repl', 'stopped']);

      // The crashed REPL starts again on request and works.
      const restarted = await again.start(repl.id);
      expect(restarted.status).toBe('running');
      await until(repl.id, (v) => v.activity === 'awaiting_input');
    },
  );

  it(
    'after a crash of the server, the orphaned process is killed and the session restarted by its policy',
    { timeout: SLOW },
    async () => {
      const { sleeper } = await doomedServer('children');
      // The server notes the session's process group on disk before it can be orphaned.
      const registry = join(dataDir!.path, 'pids', 'pids.json');
      await waitFor(async () => (await readFile(registry, 'utf8')).includes(`[${sleeper.pid},`), {
        timeoutMs: 10_000,
        message: 'session pid in the registry',
      });
      await server!.crash();
      server = undefined;
      // The session leads its own process group: the server's death leaves it running.
      expect(isGone(sleeper.pid)).toBe(false);

      t = await startStator({ dataDir: dataDir!.path, sessions: SESSIONS, processHost: false });
      dataDir = undefined; // removed by the harness
      expect(await waitGone(sleeper.pid, 5000)).toBe(true);
      const back = await until(sleeper.id, (v) => v.status === 'running');
      expect(back).toMatchObject({ name: 'sleeper', restarts: 1 });
      expect(back.pid).not.toBe(sleeper.pid);
      expect(await statusOf(sleeper.id, 4)).toEqual([
        'crashed',
        'restarting',
        'starting',
        'running',
      ]);
    },
  );
});

import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../../src/clock.ts';
import type { SessionEvent } from '../../../src/events.ts';
import {
  createSessionManager,
  type LocalSessionManager,
  type SessionManagerOptions,
  type SessionView,
} from '../../../src/sessions/index.ts';
import type { HostClient } from '../../../src/host/index.ts';
import { createMemoryStore } from '../../../src/store/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { isGone, ProcessTracker, waitGone } from '../../fixtures/exec/process-tracker.ts';
import { rejection, waitFor } from '../../helpers/poll.ts';
import { hostFixture, type HostFixture } from '../host/host-fixture.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/sessions/', import.meta.url));
const REPL = ['sh', join(FIXTURES, 'echo-repl.sh')];
const CRASH_UNTIL = ['sh', join(FIXTURES, 'crash-until.sh')];
const TREE = ['sh', join(FIXTURES, 'process-tree.sh')];

interface Harness {
  manager: LocalSessionManager;
  store: Store;
  events: Array<SessionEvent & { id: string }>;
  tracker: ProcessTracker;
  /** Waits until the session's view satisfies `pred`. */
  until(id: string, pred: (v: SessionView) => boolean, timeoutMs?: number): Promise<SessionView>;
  statuses(id: string): string[];
  activities(id: string): string[];
}

const harnesses: Harness[] = [];
const dirs: string[] = [];
/** The process host of the test, in the mode that runs sessions through one. */
let host: { fx: HostFixture; client: HostClient } | undefined;
afterEach(async () => {
  for (const h of harnesses.splice(0)) {
    await h.manager.close({ stopProcesses: true });
    h.tracker.killSurvivors();
  }
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  await host?.fx.cleanup();
  host = undefined;
});

function setup(
  options: SessionManagerOptions = {},
  store: Store = createMemoryStore(),
  clock: Clock = systemClock,
): Harness {
  const events: Harness['events'] = [];
  const manager = createSessionManager({
    store,
    emit: (id, event) => events.push({ ...event, id }),
    clock,
    logger: pino({ level: 'silent' }),
    node: 'test-node',
    ...(host && { host: host.client }),
    options: { killGraceMs: 300, quietMs: 200, ...options },
  });
  const tracker = new ProcessTracker();
  const h: Harness = {
    manager,
    store,
    events,
    tracker,
    until: (id, pred, timeoutMs = 15_000) =>
      waitFor(
        async () => {
          const v = await manager.get(id);
          tracker.track(v.pid);
          return pred(v) ? v : undefined;
        },
        { timeoutMs, message: `session ${id} state` },
      ),
    statuses: (id) =>
      events.flatMap((e) => (e.id === id && e.type === 'session.status' ? [e.status] : [])),
    activities: (id) =>
      events.flatMap((e) => (e.id === id && e.type === 'session.activity' ? [e.activity] : [])),
  };
  harnesses.push(h);
  return h;
}

const awaiting = (v: SessionView) => v.activity === 'awaiting_input';

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stator-sessions-'));
  dirs.push(dir);
  return dir;
}

// The same behaviour whether the processes are children of this process or held by a host.
describe.each(['children', 'process host'])('session manager (real processes, %s)', (mode) => {
  beforeEach(async () => {
    if (mode !== 'process host') return;
    const fx = hostFixture();
    host = { fx, client: await fx.connect() };
  });

  it('detects a REPL prompt, answers input, goes busy and back to awaiting input', async () => {
    const h = setup();
    const created = await h.manager.create({
      name: 'repl',
      command: REPL,
      attention: { prompt: '^> $' },
      autostart: true,
    });
    expect(created.status).toBe('running');
    expect(created.pid).toBeGreaterThan(0);
    h.tracker.track(created.pid);
    const first = await h.until(created.id, awaiting);
    expect(first.awaitingSince).not.toBeNull();

    const answered = await h.manager.input(created.id, 'hello');
    expect(answered.activity).toBe('busy');
    expect(answered.awaitingSince).toBeNull();
    await h.until(created.id, awaiting);
    await waitFor(async () =>
      (await h.manager.logs(created.id)).some((l) => l.line.includes('echo: hello')),
    );
    expect(h.activities(created.id)).toEqual(['busy', 'awaiting_input', 'busy', 'awaiting_input']);
    // The answered prompt is a line of its own; the answer starts the next one.
    const out = h.events.filter((e) => e.type === 'session.stdout').slice(0, 2);
    expect(out).toMatchObject([
      { sessionId: created.id, logSeq: 1, line: '> ' },
      { sessionId: created.id, logSeq: 2, line: 'echo: hello' },
    ]);
    expect(await h.store.getSession(created.id)).toMatchObject({ status: 'running' });
  });

  it('an idle rule awaits input after silence while stdin is open', async () => {
    const h = setup();
    const v = await h.manager.create({
      name: 'cat',
      command: ['cat'],
      attention: { idle: '300ms' },
      autostart: true,
    });
    await h.until(v.id, awaiting);
    await h.manager.input(v.id, 'ping');
    await waitFor(async () => (await h.manager.logs(v.id)).some((l) => l.line === 'ping'));
    await h.until(v.id, awaiting);
    expect(h.activities(v.id)).toEqual(['busy', 'awaiting_input', 'busy', 'awaiting_input']);
  });

  it('a quiet session without an attention rule is idle', async () => {
    const h = setup();
    const v = await h.manager.create({ name: 'sleeper', run: 'echo up; exec sleep 300' });
    expect(v.status).toBe('created');
    await h.manager.start(v.id);
    await h.until(v.id, (s) => s.activity === 'idle');
    await h.manager.input(v.id, 'ignored');
    expect((await h.manager.get(v.id)).activity).toBe('busy');
  });

  it('restarts a process that crashes twice, then it stays up (on_failure)', async () => {
    const h = setup();
    const dir = await tempDir();
    const v = await h.manager.create({
      name: 'flaky',
      command: CRASH_UNTIL,
      env: { COUNT_FILE: join(dir, 'count'), FAILS: 2 },
      backoff: '20ms',
      autostart: true,
    });
    const up = await h.until(v.id, (s) => s.restarts === 2 && s.status === 'running');
    h.tracker.track(up.pid);
    await waitFor(async () => (await h.manager.logs(v.id)).some((l) => l.line === 'run 3'));
    expect(h.statuses(v.id).filter((s) => s === 'crashed')).toHaveLength(2);
    expect((await h.manager.healthCheck(v.id)).alive).toBe(true);
    const lines = (await h.manager.logs(v.id)).map((l) => `${l.stream}:${l.line}`);
    expect(lines).toEqual(
      expect.arrayContaining(['stdout:run 1', 'stderr:crash 1', 'stdout:run 3']),
    );
    // Still running a moment later: the third run stays up.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await h.manager.get(v.id)).toMatchObject({ status: 'running', restarts: 2 });
  });

  it('fails once maxRestarts is reached', async () => {
    const h = setup();
    const dir = await tempDir();
    const v = await h.manager.create({
      name: 'doomed',
      command: CRASH_UNTIL,
      env: { COUNT_FILE: join(dir, 'count'), FAILS: 100 },
      maxRestarts: 2,
      backoff: '10ms',
      autostart: true,
    });
    const failed = await h.until(v.id, (s) => s.status === 'failed');
    expect(failed).toMatchObject({ restarts: 2, exitCode: 1, pid: null });
    expect(failed.lastError).toMatch(/exited with code 1; 2 restarts within/);
    expect(await h.store.getSession(v.id)).toMatchObject({ status: 'failed', restarts: 2 });
  });

  it('a command that cannot start is a crash handled by the policy', async () => {
    const h = setup();
    const v = await h.manager.create({
      name: 'missing',
      command: ['/nonexistent/program'],
      restart: 'never',
      autostart: true,
    });
    expect(v.status).toBe('crashed');
    expect(v.lastError).toMatch(/ENOENT/);
  });

  it('stop ends the whole process group, a grandchild that ignores SIGTERM included', async () => {
    const h = setup({ killGraceMs: 300 });
    const v = await h.manager.create({ name: 'tree', command: TREE, autostart: true });
    const leader = v.pid!;
    h.tracker.track(leader);
    const line = await waitFor(async () =>
      (await h.manager.logs(v.id)).find((l) => l.line.startsWith('grandchild ')),
    );
    const grandchild = Number(line.line.split(' ')[1]);
    h.tracker.track(grandchild);
    // Once it is `sleep`, its shell has set the trap (a TERM before that would end it).
    await waitFor(() => readFileSync(`/proc/${grandchild}/cmdline`, 'utf8').startsWith('sleep'));
    const started = Date.now();
    const stopped = await h.manager.stop(v.id);
    expect(stopped).toMatchObject({ status: 'stopped', pid: null });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await waitGone(grandchild, 5000)).toBe(true);
    expect(isGone(leader)).toBe(true);
    expect(h.statuses(v.id).slice(-2)).toEqual(['stopping', 'stopped']);
  });

  it('next-actionable is the session that has awaited input longest', async () => {
    const h = setup();
    const err = await rejection(h.manager.nextActionable());
    expect(err).toMatchObject({ code: 'not_found', message: 'no session is awaiting input' });
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      const v = await h.manager.create({
        name,
        command: REPL,
        attention: { prompt: '^> $' },
        autostart: true,
      });
      await h.until(v.id, awaiting);
      ids.push(v.id);
    }
    expect((await h.manager.nextActionable()).id).toBe(ids[0]);
    await h.manager.input(ids[0]!, 'x');
    expect((await h.manager.nextActionable()).id).toBe(ids[1]);
    await h.until(ids[0]!, awaiting);
    await h.manager.input(ids[1]!, 'y');
    expect((await h.manager.nextActionable()).id).toBe(ids[2]);
    await h.until(ids[1]!, awaiting);
    await h.manager.input(ids[2]!, 'z');
    // a answered first, so it has waited longest again.
    expect((await h.manager.nextActionable()).id).toBe(ids[0]);
  });

  it('refuses sessions beyond maxSessions with a clear conflict and leaves the others alone', async () => {
    const h = setup({ maxSessions: 2 });
    const a = await h.manager.create({ name: 'a', command: ['cat'], autostart: true });
    await h.manager.create({ name: 'b', command: ['cat'] });
    const err = await rejection(h.manager.create({ name: 'c', command: ['cat'] }));
    expect(err).toMatchObject({ code: 'conflict', details: { maxSessions: 2, sessions: 2 } });
    expect(err.message).toMatch(/session limit reached.*2 sessions \(maxSessions\)/);
    expect((await h.manager.list()).items.map((s) => s.name)).toEqual(['a', 'b']);
    expect((await h.manager.get(a.id)).status).toBe('running');
    await h.manager.delete(a.id);
    await h.manager.create({ name: 'c', command: ['cat'] });
  });

  it('deletes a session: stops its process, forgets it and says so', async () => {
    const h = setup();
    const v = await h.manager.create({ name: 'gone', command: ['cat'], autostart: true });
    h.tracker.track(v.pid);
    await h.manager.delete(v.id);
    expect(await waitGone(v.pid!, 5000)).toBe(true);
    expect(await h.store.getSession(v.id)).toBeUndefined();
    expect(await rejection(h.manager.get(v.id))).toMatchObject({ code: 'not_found' });
    expect(h.events.at(-1)).toMatchObject({ type: 'session.deleted', sessionId: v.id });
    expect(await rejection(h.manager.delete(v.id))).toMatchObject({ code: 'not_found' });
  });

  it('lists with filters and pages; updates and preferences are stored', async () => {
    const h = setup();
    const a = await h.manager.create({ name: 'a', command: ['cat'], tags: ['agent'] });
    const b = await h.manager.create({ name: 'b', command: ['cat'], tags: ['dev'] });
    const c = await h.manager.create({ name: 'c', command: ['cat'], tags: ['agent', 'dev'] });
    await h.manager.start(b.id);
    expect((await h.manager.list({ tag: 'agent' })).items.map((s) => s.id)).toEqual([a.id, c.id]);
    expect((await h.manager.list({ status: 'running' })).items.map((s) => s.id)).toEqual([b.id]);
    const page1 = await h.manager.list({ limit: 2 });
    expect(page1.items.map((s) => s.id)).toEqual([a.id, b.id]);
    const page2 = await h.manager.list({ limit: 2, cursor: page1.nextCursor! });
    expect(page2).toEqual({ items: [expect.objectContaining({ id: c.id })], nextCursor: null });
    expect(await rejection(h.manager.list({ status: 'bogus' as never }))).toMatchObject({
      code: 'invalid_argument',
    });

    const renamed = await h.manager.update(a.id, { name: 'alpha', tags: ['x', 'x', 'y'] });
    expect(renamed).toMatchObject({ name: 'alpha', tags: ['x', 'y'] });
    await h.manager.setPreference(a.id, 'color', 'blue');
    const pref = await h.manager.setPreference(a.id, 'pinned', { order: 1 });
    expect(pref.definition.preferences).toEqual({ color: 'blue', pinned: { order: 1 } });
    expect((await h.store.getSession(a.id))!.definition).toMatchObject({
      name: 'alpha',
      preferences: { color: 'blue', pinned: { order: 1 } },
    });
    expect(await rejection(h.manager.update(a.id, {}))).toMatchObject({ code: 'invalid_argument' });
  });

  it('an update or a preference moves updatedAt, in the view and in the store', async () => {
    let skewMs = 0;
    const h = setup({}, createMemoryStore(), { ...systemClock, now: () => Date.now() + skewMs });
    const v = await h.manager.create({ name: 'quiet', command: ['cat'] });
    const stored = async () => (await h.store.getSession(v.id))!.updatedAt;
    expect(await stored()).toBe(v.updatedAt);

    skewMs = 60_000;
    const renamed = await h.manager.update(v.id, { name: 'renamed' });
    expect(Date.parse(renamed.updatedAt) - Date.parse(v.updatedAt)).toBeGreaterThanOrEqual(60_000);
    expect(await stored()).toBe(renamed.updatedAt);
    expect((await h.manager.get(v.id)).updatedAt).toBe(renamed.updatedAt);

    skewMs = 120_000;
    const pref = await h.manager.setPreference(v.id, 'color', 'blue');
    expect(Date.parse(pref.updatedAt) - Date.parse(renamed.updatedAt)).toBeGreaterThanOrEqual(
      60_000,
    );
    expect(await stored()).toBe(pref.updatedAt);
  });

  it('refuses input to a session that does not run, and too much input', async () => {
    const h = setup({ maxInputBytes: 8 });
    const v = await h.manager.create({ name: 'idle', command: ['cat'] });
    expect(await rejection(h.manager.input(v.id, 'hi'))).toMatchObject({ code: 'conflict' });
    expect(await rejection(h.manager.input(v.id, 'x'.repeat(9)))).toMatchObject({
      code: 'invalid_argument',
    });
    expect(await rejection(h.manager.input('ses_nope', 'x'))).toMatchObject({ code: 'not_found' });
  });

  it('close (stopping processes) ends them but keeps the stored state; restore reports them crashed', async () => {
    const store = createMemoryStore();
    const h = setup({}, store);
    const repl = await h.manager.create({
      name: 'repl',
      command: REPL,
      attention: { prompt: '^> $' },
      restart: 'never',
    });
    const replPid = (await h.manager.start(repl.id)).pid!;
    const auto = await h.manager.create({ name: 'auto', command: ['cat'], autostart: true });
    const kept = await h.manager.create({ name: 'kept', command: ['cat'] });
    await h.manager.start(kept.id);
    await h.manager.stop(kept.id);
    await h.manager.close({ stopProcesses: true });
    expect(await waitGone(replPid, 5000)).toBe(true);
    expect(await waitGone(auto.pid!, 5000)).toBe(true);
    expect((await store.getSession(repl.id))!.status).toBe('running');

    const again = setup({}, store);
    await again.manager.restore();
    expect(await again.manager.get(repl.id)).toMatchObject({
      status: 'crashed',
      lastError: 'the process was lost when the server stopped',
    });
    const autoView = await again.until(auto.id, (s) => s.status === 'running');
    expect(autoView.pid).not.toBe(auto.pid);
    expect((await again.manager.get(kept.id)).status).toBe('stopped');
    expect(again.statuses(repl.id)).toEqual(['crashed']);
  });
});

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionView } from '../../../src/sessions/index.ts';
import { isGone, waitGone } from '../../fixtures/exec/process-tracker.ts';
import { killGroup, startChildServer, type ChildServer } from '../../helpers/child-server.ts';
import { waitFor } from '../../helpers/poll.ts';
import { startStator, tempDir, type TestStator } from '../../helpers/stator.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'fixtures', 'sessions');
const REPL = ['sh', join(FIXTURES, 'echo-repl.sh')];
const SERVE_SESSIONS = join(FIXTURES, 'serve-sessions.ts');
const SLOW = 90_000;
const SESSIONS = { killGraceMs: 1000, quietMs: 200 };

let t: TestStator | undefined;
let server: ChildServer<{ sessionId: string; pid: number }> | undefined;
let dataDir: Awaited<ReturnType<typeof tempDir>> | undefined;
const pids: number[] = [];

afterEach(async () => {
  await server?.crash();
  server = undefined;
  await t?.close();
  t = undefined;
  for (const pid of pids.splice(0)) killGroup(pid);
  await dataDir?.remove();
  dataDir = undefined;
});

/** The first `n` status events of a session since the service started (replayed by the monitor). */
async function statusOf(id: string, n: number): Promise<string[]> {
  const seen: string[] = [];
  const sub = t!.stator.subscribe(
    (e) => {
      if (e.type === 'session.status' && e.sessionId === id) seen.push(e.status);
    },
    { since: 0, filter: { kind: 'session', id } },
  );
  try {
    await waitFor(() => seen.length >= n, { message: `${n} status events of ${id}` });
  } finally {
    sub.unsubscribe();
  }
  return seen.slice(0, n);
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

describe('sessions across a server restart', () => {
  it(
    'brings autostart sessions back, reports the one that was running as crashed, and leaves no process of a stopped or deleted session',
    { timeout: SLOW },
    async () => {
      t = await startStator({ sessions: SESSIONS });
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
        lastError: 'the process was lost when the server stopped',
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
      dataDir = await tempDir('stator-sessions-crash-');
      server = await startChildServer(SERVE_SESSIONS, { args: [dataDir.path] });
      const { sessionId, pid } = server.ready;
      pids.push(pid);
      // The server notes the session's process group on disk before it can be orphaned.
      const registry = join(dataDir.path, 'pids', 'pids.json');
      await waitFor(async () => (await readFile(registry, 'utf8')).includes(`[${pid},`), {
        timeoutMs: 10_000,
        message: 'session pid in the registry',
      });
      await server.crash();
      // The session leads its own process group: the server's death leaves it running.
      expect(isGone(pid)).toBe(false);

      t = await startStator({ dataDir: dataDir.path, sessions: SESSIONS });
      dataDir = undefined; // removed by the harness
      expect(await waitGone(pid, 5000)).toBe(true);
      const back = await until(sessionId, (v) => v.status === 'running');
      expect(back).toMatchObject({ name: 'survivor', restarts: 1 });
      expect(back.pid).not.toBe(pid);
      expect(await statusOf(sessionId, 4)).toEqual([
        'crashed',
        'restarting',
        'starting',
        'running',
      ]);
    },
  );
});

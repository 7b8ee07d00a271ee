/**
 * Chaos, case 5: a session (`cat`) keeps running through server restarts (kill -9, then
 * SIGTERM) with the same pid and an untouched restart count; input sent after each restart
 * comes back in its logs; deleting it at the end leaves no process. A session printing a line
 * every 100 ms has what it printed while the server was down in its logs, once and in order;
 * when its process host is killed with the server, it is reported crashed, restarted by its
 * policy, and its old process is gone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/poll.ts';
import type { SessionView } from './api.ts';
import { createRig, disposeRigs, sleep, type ChaosRig } from './harness.ts';
import { markerEnv } from './markers.ts';
import { isAlive } from './procfs.ts';

afterEach(disposeRigs);

/** The session once it is running with a pid (reads fail while the server restarts). */
function running(rig: ChaosRig, id: string): Promise<SessionView> {
  return waitFor(
    async () => {
      const view = await rig.api.session(id);
      return view.status === 'running' && view.pid !== null ? view : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 50, message: `session ${id} not running` },
  );
}

/** Sends `text` and waits for it to come back on stdout. */
async function echoes(rig: ChaosRig, id: string, text: string): Promise<void> {
  await rig.api.sessionInput(id, text);
  await waitFor(async () => (await rig.api.sessionLogs(id)).includes(`stdout | ${text}`), {
    timeoutMs: 5000,
    intervalMs: 50,
    message: `'${text}' not echoed by session ${id}`,
  });
}

/** Prints `tick <n> <epoch ms>` every 100 ms. */
const TICKER = 'i=0; while :; do i=$((i+1)); echo "tick $i $(date +%s%3N)"; sleep 0.1; done';

/** The ticks in a session's logs, as [n, ms]. */
async function ticks(rig: ChaosRig, id: string): Promise<Array<[number, number]>> {
  const logs = await rig.api.sessionLogs(id);
  return logs
    .split('\n')
    .filter((l) => l.startsWith('stdout | tick '))
    .map((l) => {
      const [, , , n, ms] = l.split(' ');
      return [Number(n), Number(ms)];
    });
}

describe('chaos: a session through server restarts', () => {
  it(
    'cat keeps its pid through kill -9 and SIGTERM of the server',
    { timeout: 60_000 },
    async () => {
      const rig = await createRig('session', { env: { STATOR_SHUTDOWN_TIMEOUT: '3s' } });
      const { api } = rig;
      await rig.start();
      const created = await api.createSession({
        name: 'chaos-cat',
        command: ['cat'],
        env: markerEnv(rig.markersDir),
      });
      await api.sessionCommand(created.id, 'start');
      const first = await running(rig, created.id);
      const pid = first.pid!;
      await echoes(rig, created.id, 'before-restart');

      for (const how of ['kill -9', 'SIGTERM'] as const) {
        if (how === 'kill -9') await rig.kill9();
        else await rig.server().terminate();
        expect
          .soft(isAlive(pid), `cat (pid ${pid}) alive while the server is down after ${how}`)
          .toBe(true);
        await rig.start();
        const after = await running(rig, created.id);
        expect
          .soft(
            { pid: after.pid, restarts: after.restarts },
            `the session after a server restart (${how})`,
          )
          .toEqual({ pid, restarts: first.restarts });
        await echoes(rig, created.id, `after-${how.replace(/\W/g, '')}`);
      }

      const last = await api.session(created.id);
      await api.deleteSession(created.id);
      const pids = [...new Set([pid, last.pid ?? pid])];
      expect(await rig.orphans(pids, 3000), 'session processes alive after delete').toEqual([]);
    },
  );

  it(
    'a ticker keeps its output through kill -9; killed with its host, it is crashed, restarted and gone',
    { timeout: 60_000 },
    async () => {
      const rig = await createRig('session-ticker');
      const { api } = rig;
      await rig.start();
      const created = await api.createSession({
        name: 'chaos-ticker',
        run: TICKER,
        env: markerEnv(rig.markersDir),
        backoff: '100ms',
        autostart: true,
      });
      const first = await running(rig, created.id);
      await waitFor(async () => (await ticks(rig, created.id)).length >= 5, {
        timeoutMs: 10_000,
        message: 'five ticks',
      });

      const downAt = await rig.kill9();
      await sleep(1000);
      const upAt = Date.now();
      await rig.start();
      const after = await running(rig, created.id);
      expect({ pid: after.pid, restarts: after.restarts }).toEqual({
        pid: first.pid,
        restarts: first.restarts,
      });
      const logged = await waitFor(
        async () => {
          const t = await ticks(rig, created.id);
          return t.some(([, ms]) => ms > upAt) ? t : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 50, message: 'a tick after the restart' },
      );
      expect(
        logged.map(([n]) => n),
        'every tick once, in order',
      ).toEqual(logged.map((_, i) => i + 1));
      const whileDown = logged.filter(([, ms]) => ms > downAt && ms < upAt);
      expect(whileDown.length, 'ticks written while the server was down').toBeGreaterThan(5);

      const { hostPids } = await rig.kill9WithHost();
      expect(hostPids).toHaveLength(1);
      await rig.start();
      const back = await waitFor(
        async () => {
          const v = await api.session(created.id);
          return v.status === 'running' && v.pid !== null && v.pid !== first.pid ? v : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 50, message: 'the ticker restarted' },
      );
      expect(back.restarts).toBe(first.restarts + 1);
      expect(await rig.orphans([first.pid!], 3000), 'the old ticker').toEqual([]);

      await api.deleteSession(created.id);
      expect(await rig.orphans([back.pid!], 3000), 'the ticker after delete').toEqual([]);
    },
  );
});

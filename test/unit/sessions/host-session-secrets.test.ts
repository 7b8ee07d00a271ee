/**
 * Session secrets with real processes on a real process host (a private host per test, see
 * test/unit/host/host-fixture): the value reaches the process as a variable, every line is masked
 * before it reaches the log ring, an event or the record, also the lines a new manager replays
 * from the host after a close without stopping; a manager that cannot resolve them any more
 * withholds the output; a missing secret fails the launch before any process or launch exists.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.ts';
import type { SessionEvent } from '../../../src/events.ts';
import type { HostClient } from '../../../src/host/index.ts';
import {
  createSecretResolver,
  SecretRegistry,
  type SecretResolver,
} from '../../../src/secrets/index.ts';
import { createSessionManager, type LocalSessionManager } from '../../../src/sessions/index.ts';
import { createSqliteStore, type Store } from '../../../src/store/index.ts';
import { isGone, ProcessTracker } from '../../fixtures/exec/process-tracker.ts';
import { waitFor } from '../../helpers/poll.ts';
import { hostFixture, type HostFixture } from '../host/host-fixture.ts';

type Recorded = SessionEvent & { id: string };
const VAR = 'SESSION_HOST_TEST_TOKEN';
const VALUE = 'sess-tok 9f3a/7c+2e=1b?x';
const b64 = (s: string) => Buffer.from(s).toString('base64');
/** Prints the secret, its base64, then every input line followed by the secret. */
const ECHO =
  'echo "$TOKEN"; printf "%s" "$TOKEN" | base64; echo plain; ' +
  'while read l; do echo "$l $TOKEN"; done';

/** The forms of the value found in `text`. */
const leaks = (text: string) =>
  [VALUE, b64(VALUE), b64(`${VALUE}\n`).slice(0, 24), encodeURIComponent(VALUE)].filter((f) =>
    text.includes(f),
  );

let fx: HostFixture;
let store: Store;
const tracker = new ProcessTracker();
const managers: LocalSessionManager[] = [];

beforeAll(() => {
  process.env[VAR] = VALUE;
});
afterAll(() => {
  delete process.env[VAR];
});

beforeEach(() => {
  process.env[VAR] = VALUE;
  fx = hostFixture();
  store = createSqliteStore({ path: join(fx.dataDir, 'stator.db') });
});

afterEach(async () => {
  for (const m of managers.splice(0)) await m.close({ stopProcesses: true });
  tracker.killSurvivors();
  await store.close();
  await fx.cleanup();
});

function manager(
  host: HostClient,
  events: Recorded[] = [],
  secrets: SecretResolver = createSecretResolver(),
): LocalSessionManager {
  const m = createSessionManager({
    store,
    emit: (id, event) => events.push({ ...event, id }),
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    node: 'test-node',
    host,
    secrets,
    options: { killGraceMs: 300, quietMs: 200 },
  });
  managers.push(m);
  return m;
}

async function shutDown(m: LocalSessionManager, host: HostClient): Promise<void> {
  await m.close();
  managers.splice(managers.indexOf(m), 1);
  host.close();
  await host.closed;
}

const lines = async (m: LocalSessionManager, id: string, n: number) =>
  waitFor(
    async () => {
      const got = await m.logs(id);
      return got.length >= n ? got.map((l) => l.line) : undefined;
    },
    { timeoutMs: 10_000, message: `${n} lines` },
  );
const stdout = (events: Recorded[]) =>
  events.flatMap((e) => (e.type === 'session.stdout' ? [e.line] : []));

describe('session secrets on a process host', () => {
  it('masks the value in the ring, events, record and view, and in the lines replayed after a re-attach', async () => {
    const registry = new SecretRegistry();
    const host1 = await fx.connect();
    const events1: Recorded[] = [];
    const m1 = manager(host1, events1, createSecretResolver({ registry }));
    const v = await m1.create({
      name: 'secretive',
      run: ECHO,
      secrets: { TOKEN: { env: VAR } },
      autostart: true,
    });
    tracker.track(v.pid);
    expect(v.status).toBe('running');
    await m1.input(v.id, 'one');
    expect(await lines(m1, v.id, 4)).toEqual(['***', '***', 'plain', 'one ***']);
    expect(stdout(events1)).toEqual(['***', '***', 'plain', 'one ***']);
    expect(registry.redact(`server log ${VALUE}`)).toBe('server log ***');

    const view = await m1.get(v.id);
    expect(view.definition.secrets).toEqual({ TOKEN: { env: VAR } });
    const stored = await store.getSession(v.id);
    for (const text of [JSON.stringify(view), JSON.stringify(stored), JSON.stringify(events1)]) {
      expect(leaks(text)).toEqual([]);
    }

    await shutDown(m1, host1);
    const host2 = await fx.connect();
    const events2: Recorded[] = [];
    const m2 = manager(host2, events2);
    await m2.restore();
    expect(await m2.get(v.id)).toMatchObject({ status: 'running', pid: v.pid });
    // Refilled from the host's spool: the same lines, masked again.
    const replayed = await m2.logs(v.id);
    expect(replayed.map((l) => [l.seq, l.line])).toEqual([
      [1, '***'],
      [2, '***'],
      [3, 'plain'],
      [4, 'one ***'],
    ]);
    await m2.input(v.id, 'two');
    expect(await lines(m2, v.id, 5)).toEqual(['***', '***', 'plain', 'one ***', 'two ***']);
    expect(leaks(JSON.stringify(events2))).toEqual([]);
    expect(stdout(events2)).toContain('two ***');
  });

  it('replays the masked output of a launch lost with its host', async () => {
    const host1 = await fx.connect();
    const m1 = manager(host1);
    const v = await m1.create({
      name: 'lost',
      run: 'echo "$TOKEN"; sleep 0.5; echo "later $TOKEN"; sleep 300',
      secrets: { TOKEN: { env: VAR } },
      restart: 'never',
    });
    tracker.track((await m1.start(v.id)).pid);
    await lines(m1, v.id, 1);
    await shutDown(m1, host1);
    await new Promise((r) => setTimeout(r, 800)); // "later" is written while nobody follows
    process.kill(host1.hostPid, 'SIGKILL');
    await waitFor(() => isGone(host1.hostPid), { message: 'host gone' });
    const host2 = await waitFor(() => fx.connect(), { message: 'a new host' });
    const events2: Recorded[] = [];
    const m2 = manager(host2, events2);
    await m2.restore();
    expect(await m2.get(v.id)).toMatchObject({ status: 'crashed' });
    expect(stdout(events2)).toEqual(['later ***']);
    expect((await m2.logs(v.id)).map((l) => l.line)).toEqual(['***', 'later ***']);
  });

  it('withholds the output of a launch found again whose secrets cannot be resolved any more', async () => {
    const host1 = await fx.connect();
    const m1 = manager(host1);
    const v = await m1.create({
      name: 'orphaned',
      run: ECHO,
      secrets: { TOKEN: { env: VAR } },
      autostart: true,
    });
    tracker.track(v.pid);
    await lines(m1, v.id, 3);
    await shutDown(m1, host1);
    delete process.env[VAR];

    const host2 = await fx.connect();
    const events2: Recorded[] = [];
    const m2 = manager(host2, events2);
    await m2.restore();
    expect(await m2.get(v.id)).toMatchObject({ status: 'running', pid: v.pid });
    expect((await m2.logs(v.id)).map((l) => l.line)).toEqual(['***', '***', '***']);
    await m2.input(v.id, 'hello');
    expect(await lines(m2, v.id, 4)).toEqual(['***', '***', '***', '***']);
    expect(leaks(JSON.stringify(events2))).toEqual([]);
  });

  it('a missing secret fails the start with secret_unavailable: no process, no launch', async () => {
    const host = await fx.connect();
    const events: Recorded[] = [];
    const m = manager(host, events);
    const marker = join(fx.dataDir, 'ran');
    const v = await m.create({
      name: 'missing',
      run: `touch ${marker}; sleep 300`,
      secrets: { TOKEN: { env: VAR }, ABSENT: { env: 'SESSION_HOST_TEST_UNSET' } },
      restart: 'never',
    });
    const err = await m.start(v.id).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'secret_unavailable',
      details: {
        secrets: [
          {
            name: 'ABSENT',
            env: 'SESSION_HOST_TEST_UNSET',
            reason: 'SESSION_HOST_TEST_UNSET is not set',
          },
        ],
      },
    });
    const lastError = 'secret_unavailable: secret ABSENT: SESSION_HOST_TEST_UNSET is not set';
    expect(await m.get(v.id)).toMatchObject({ status: 'crashed', pid: null, lastError });
    expect(await store.getSession(v.id)).toMatchObject({ status: 'crashed', lastError });
    expect((await store.getSession(v.id))?.hostProcess).toBeUndefined();
    expect(events.filter((e) => e.type === 'session.status').at(-1)).toMatchObject({
      status: 'crashed',
      error: lastError,
    });
    expect(await host.list()).toEqual([]);
    expect(existsSync(marker)).toBe(false);
  });

  it('with a restart policy, each restart resolves again: the session runs once the secret exists', async () => {
    const host = await fx.connect();
    const m = manager(host);
    const v = await m.create({
      name: 'patient',
      run: 'echo "$LATE"; sleep 300',
      secrets: { LATE: { env: 'SESSION_HOST_TEST_LATE' } },
      backoff: '200ms',
      autostart: true, // created all the same, its start failure in lastError
    });
    expect(v).toMatchObject({ status: 'restarting' });
    expect(v.lastError).toMatch(/^secret_unavailable: secret LATE:/);
    process.env.SESSION_HOST_TEST_LATE = 'late-value-31337';
    try {
      const running = await waitFor(
        async () => {
          const s = await m.get(v.id);
          return s.status === 'running' ? s : undefined;
        },
        { timeoutMs: 10_000, message: 'running once the secret exists' },
      );
      tracker.track(running.pid);
      expect(await lines(m, v.id, 1)).toEqual(['***']);
    } finally {
      delete process.env.SESSION_HOST_TEST_LATE;
    }
  });
});

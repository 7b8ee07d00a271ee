/**
 * Session secrets through a whole service (useStator), with real processes: with the process
 * host (SQLite) and as children of the server (memory store). A session printing its secret and
 * the secret's base64 shows `***` in `GET /api/sessions/:id/logs`, its events (monitor and
 * `stator.session.<id>.out`), and never the value in a view, a list, a NATS answer or the
 * server's log; after a restart of the service that leaves the process to the host, the lines
 * replayed from the host are masked too. A missing secret refuses the start with
 * `secret_unavailable` naming the variable, and no process runs.
 */
import { capturedStream } from '../../helpers/captured-stream.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../../src/http/index.ts';
import { createLogger } from '../../../src/logger.ts';
import { SecretRegistry } from '../../../src/secrets/index.ts';
import type { SessionView } from '../../../src/sessions/index.ts';
import { waitFor } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

/** 24 bytes: its base64 is 32 characters of its own, then `Cg==` for echo's newline. */
const VALUE = 'tok 3f9a/7c+2e=1b?x-sess';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const SCRIPT = 'echo $TOKEN; echo $TOKEN | base64; sleep 30';

/** The forms of the value found in `text`. */
const leaks = (text: string) =>
  [VALUE, b64(VALUE), b64(`${VALUE}\n`).slice(0, 32), encodeURIComponent(VALUE)].filter((f) =>
    text.includes(f),
  );

/** A pino destination that keeps every line. */

describe.each([
  { store: 'sqlite' as const, runs: 'on the process host' },
  { store: 'memory' as const, runs: 'as children of the server' },
])('session secrets ($runs)', ({ store }) => {
  const t = useStator({ start: 'manual', memoryBus: true, store });
  beforeAll(() => {
    process.env.SESSION_TEST_TOKEN = VALUE;
  });
  afterAll(() => {
    delete process.env.SESSION_TEST_TOKEN;
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const app = createHttpApp({ stator: t.stator });
    const res = await app.request(path, {
      method,
      ...(body !== undefined && {
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      }),
    });
    return { status: res.status, text: await res.text() };
  };
  const logsOf = (id: string, n: number) =>
    waitFor(
      async () => {
        const { text } = await call('GET', `/api/sessions/${id}/logs`);
        return text.split('\n').filter(Boolean).length >= n ? text : undefined;
      },
      { timeoutMs: 10_000, message: `${n} lines of session ${id}` },
    );

  it('masks the value in logs, events, bus and server log; no API returns it', async () => {
    const registry = new SecretRegistry();
    const log = capturedStream();
    const logger = createLogger({
      destination: log.stream,
      pretty: false,
      level: 'trace',
      redactor: registry,
    });
    await t.start({ logger, secretRegistry: registry });
    const onBus: string[] = [];
    const sub = t.bus.subscribe('stator.session.*.out', (msg) => {
      onBus.push(new TextDecoder().decode(msg.data));
    });
    const created = await call('POST', '/api/sessions', {
      name: 'secretive',
      run: SCRIPT,
      secrets: { TOKEN: { env: 'SESSION_TEST_TOKEN' } },
      autostart: true,
    });
    expect(created.status).toBe(201);
    const view = JSON.parse(created.text) as SessionView;
    t.processes.track(view.pid);
    expect(view).toMatchObject({
      status: 'running',
      definition: { secrets: { TOKEN: { env: 'SESSION_TEST_TOKEN' } } },
    });

    const logs = await logsOf(view.id, 2);
    expect(logs).toBe('stdout | ***\nstdout | ***Cg==\n');
    await waitFor(() => onBus.filter((m) => m.includes('session.stdout')).length === 2);
    sub.unsubscribe();
    const stdoutLines = () =>
      t.events.flatMap((e) => (e.type === 'session.stdout' ? [(e as { line?: string }).line] : []));
    // The monitor's subscribers get events on a later turn than the bus: wait for both lines.
    const lines = await waitFor(() => (stdoutLines().length >= 2 ? stdoutLines() : undefined));
    expect(lines).toEqual(['***', '***Cg==']);
    expect(registry.redact(VALUE)).toBe('***');

    const natsGet = await t.bus.request('stator.api.session.get', { id: view.id });
    const everywhere: Record<string, string> = {
      created: created.text,
      logs,
      events: JSON.stringify(t.events),
      bus: onBus.join('\n'),
      get: (await call('GET', `/api/sessions/${view.id}`)).text,
      list: (await call('GET', '/api/sessions')).text,
      json: (await call('GET', `/api/sessions/${view.id}/logs?format=json`)).text,
      natsGet: new TextDecoder().decode(natsGet.data),
      serverLog: log.text(),
    };
    for (const [where, text] of Object.entries(everywhere)) {
      expect({ where, leaked: leaks(text) }).toEqual({ where, leaked: [] });
    }
    expect(everywhere.natsGet).toContain('SESSION_TEST_TOKEN');

    if (store === 'sqlite') {
      // The service restarts; the process runs on in the host and its lines are read again.
      await t.restart();
      const again = await call('GET', `/api/sessions/${view.id}`);
      expect(JSON.parse(again.text)).toMatchObject({ status: 'running', pid: view.pid });
      expect(await logsOf(view.id, 2)).toBe('stdout | ***\nstdout | ***Cg==\n');
      expect(leaks(JSON.stringify(t.events))).toEqual([]);
    }
  });

  it('a missing secret refuses the start with secret_unavailable; no process runs', async () => {
    await t.start();
    const marker = join(t.files, 'ran');
    const created = await call('POST', '/api/sessions', {
      name: 'missing',
      run: `touch ${marker}; sleep 30`,
      secrets: { TOKEN: { env: 'SESSION_TEST_TOKEN' }, GONE: { env: 'SESSION_TEST_UNSET' } },
      restart: 'never',
    });
    const { id } = JSON.parse(created.text) as SessionView;
    const started = await call('POST', `/api/sessions/${id}/start`);
    expect(started.status).toBe(503);
    expect(JSON.parse(started.text)).toMatchObject({
      error: {
        code: 'secret_unavailable',
        message: 'secret GONE: SESSION_TEST_UNSET is not set',
        details: {
          secrets: [
            { name: 'GONE', env: 'SESSION_TEST_UNSET', reason: 'SESSION_TEST_UNSET is not set' },
          ],
        },
      },
    });
    expect(JSON.parse((await call('GET', `/api/sessions/${id}`)).text)).toMatchObject({
      status: 'crashed',
      pid: null,
      lastError: 'secret_unavailable: secret GONE: SESSION_TEST_UNSET is not set',
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(marker)).toBe(false);
  });
});

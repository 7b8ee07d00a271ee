/**
 * The session API through both front doors of one service, with real processes: HTTP routes
 * (`app.request()`, and a real server for a followed log) and `stator.api.session.*` from a
 * plain NATS client, against a Stator on a NATS bus. Issue 5's "done when": the three sessions
 * of the README's example (examples/sessions/*.yaml: a REPL awaiting input, a busy worker, one
 * that crashes once and is restarted) show the right states over HTTP, over NATS and in the
 * event stream; next-actionable returns the REPL and input moves it to busy and back; and
 * `maxSessions` and the rate limiter answer with structured errors without touching the other
 * sessions.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { createNatsBus, createStator, type Bus, type Stator } from '../../../src/index.ts';
import { createHttpApp, startHttpServer } from '../../../src/http/index.ts';
import type { StampedEvent } from '../../../src/events.ts';
import type { SessionView } from '../../../src/sessions/index.ts';
import {
  RawClient,
  type EventWatch,
  type WireErrorShape,
} from '../../fixtures/cluster/raw-client.ts';
import { startNatsServer, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';
import { parsePrometheusText } from '../../helpers/prometheus-text.ts';
import { tempDir } from '../../helpers/stator.ts';

const EXAMPLES = join(import.meta.dirname, '../../../examples/sessions');
const MAX_SESSIONS = 5;

interface ErrorBody {
  error: WireErrorShape & { details?: { retryAfterMs?: number; maxSessions?: number } };
}
/** A response body as the tests read it: a session, a page of sessions or lines, or an error. */
type Body = SessionView &
  ErrorBody & { items: Array<SessionView & { seq: number; line: string }>; alive?: boolean };
type SessionEventShape = StampedEvent & {
  sessionId?: string;
  status?: string;
  activity?: string;
  line?: string;
};

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: NatsServer;
let bus: Bus;
let stator: Stator;
let app: Hono;
let client: RawClient;
let watch: EventWatch;
const events: SessionEventShape[] = [];
const ids: Record<'repl' | 'worker' | 'flaky', string> = { repl: '', worker: '', flaky: '' };

async function call(method: string, path: string, body?: unknown, type = 'application/json') {
  const res = await app.request(path, {
    method,
    ...(body !== undefined && {
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': type },
    }),
  });
  const text = await res.text();
  const isJson = res.headers.get('content-type')?.includes('json') ?? false;
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: (isJson ? JSON.parse(text) : undefined) as Body,
  };
}
const get = async (id: string): Promise<SessionView> =>
  (await call('GET', `/api/sessions/${id}`)).json;
const eventsOf = (id: string) => events.filter((e) => e.sessionId === id);
const natsEventsOf = (id: string) =>
  watch.events.filter((e) => (e as { sessionId?: string }).sessionId === id);
const statusesOf = (list: Array<{ type: string; status?: unknown }>) =>
  list.filter((e) => e.type === 'session.status').map((e) => e.status as string);

/** True when `sub` appears in `list` in order (not necessarily adjacent). */
function inOrder(list: readonly string[], sub: readonly string[]): boolean {
  let i = 0;
  for (const x of list) if (x === sub[i]) i++;
  return i === sub.length;
}

beforeAll(async () => {
  dir = await tempDir('stator-session-api-');
  server = await startNatsServer({ private: true });
  bus = await createNatsBus({ servers: server.url, name: 'stator-session-api' });
  stator = await createStator({
    bus,
    dataDir: dir.path,
    node: 'session-api',
    shutdownGraceMs: 0,
    sessions: { maxSessions: MAX_SESSIONS, killGraceMs: 1000 },
  });
  stator.subscribe((e) => void events.push(e as SessionEventShape), {
    filter: { kind: 'session' },
    bufferSize: 1_000_000,
    name: 'session-api-test',
  });
  app = createHttpApp({ stator });
  client = await RawClient.connect(server.url, 'session-api-client');
  watch = client.watch('stator.session.*.out');
  await client.flush();
}, 30_000);

afterAll(async () => {
  watch?.stop();
  await client?.close();
  // The process host keeps session processes through a close: end them first.
  await stator?.sessions.close({ stopProcesses: true });
  await stator?.close();
  await bus?.close();
  await server?.stop();
  await dir?.remove();
});

describe('sessions over HTTP and NATS', () => {
  it('answers next-actionable with 404 while no session awaits input', async () => {
    const res = await call('GET', '/api/sessions/next-actionable');
    expect(res.status).toBe(404);
    expect(res.json.error).toMatchObject({ code: 'not_found', recoverable: false });
    const reply = await client.api('session.next-actionable', {});
    expect(reply).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('starts the README example: a REPL awaiting input, a busy worker, one crashed and restarted', async () => {
    for (const name of ['repl', 'worker', 'flaky'] as const) {
      let yaml = await readFile(join(EXAMPLES, `${name}.yaml`), 'utf8');
      // The crash marker goes to this test's directory instead of /tmp.
      yaml = yaml.replace('/tmp/stator-flaky-demo', join(dir.path, 'flaky-marker'));
      const res = await call('POST', '/api/sessions', yaml, 'application/yaml');
      expect(res.status, res.text).toBe(201);
      expect(res.headers.get('location')).toBe(`/api/sessions/${res.json.id}`);
      expect(res.json).toMatchObject({ name, definition: { autostart: true } });
      ids[name] = res.json.id;
    }

    // Over HTTP.
    await waitFor(
      async () => {
        const [repl, worker, flaky] = await Promise.all([
          get(ids.repl),
          get(ids.worker),
          get(ids.flaky),
        ]);
        return (
          repl.status === 'running' &&
          repl.activity === 'awaiting_input' &&
          worker.status === 'running' &&
          worker.activity === 'busy' &&
          flaky.status === 'running' &&
          flaky.restarts === 1
        );
      },
      { timeoutMs: 20_000, message: 'the three sessions in their states' },
    );
    const list = await call('GET', '/api/sessions?status=running');
    expect(list.json.items.map((s: SessionView) => s.name).sort()).toEqual([
      'flaky',
      'repl',
      'worker',
    ]);
    const build = await call('GET', '/api/sessions?tag=build');
    expect(build.json.items.map((s: SessionView) => s.id)).toEqual([ids.worker]);

    // Over NATS, from a plain client.
    const repl = await client.call<SessionView>('session.get', { id: ids.repl });
    expect(repl).toMatchObject({ status: 'running', activity: 'awaiting_input' });
    expect(await client.call<SessionView>('session.get', { id: ids.worker })).toMatchObject({
      status: 'running',
      activity: 'busy',
    });
    const flaky = await client.call<SessionView>('session.get', { id: ids.flaky });
    expect(flaky).toMatchObject({ status: 'running', restarts: 1 });
    const demo = await client.call<{ items: SessionView[] }>('session.list', { tag: 'demo' });
    expect(demo.items).toHaveLength(3);

    // In the event stream (the monitor) and on `stator.session.<id>.out`.
    // It may crash before its first `running` is reported (a loaded machine): from `starting`.
    const crashCycle = ['crashed', 'restarting', 'running'];
    expect(
      inOrder(statusesOf(eventsOf(ids.flaky)), crashCycle),
      statusesOf(eventsOf(ids.flaky)).join(),
    ).toBe(true);
    await waitFor(() => inOrder(statusesOf(natsEventsOf(ids.flaky)), crashCycle), {
      message: 'the crash cycle on NATS',
    });
    const activities = (list: Array<{ type: string; activity?: unknown }>) =>
      list.filter((e) => e.type === 'session.activity').map((e) => e.activity);
    expect(activities(eventsOf(ids.repl))).toContain('awaiting_input');
    expect(activities(eventsOf(ids.worker))).toContain('busy');
    await waitFor(() => activities(natsEventsOf(ids.repl)).includes('awaiting_input'));
    expect(
      eventsOf(ids.flaky).some(
        (e) => e.type === 'session.stderr' && e.line === 'flaky: crashing on purpose',
      ),
    ).toBe(true);
  }, 40_000);

  it('next-actionable returns the REPL; input makes it busy, then awaiting input again', async () => {
    const next = await call('GET', '/api/sessions/next-actionable');
    expect(next.status).toBe(200);
    expect(next.json.id).toBe(ids.repl);
    expect(await client.call<SessionView>('session.next-actionable', {})).toMatchObject({
      id: ids.repl,
    });

    const mark = events.length;
    const sent = await call('POST', `/api/sessions/${ids.repl}/input`, { text: 'hello' });
    expect(sent.status, sent.text).toBe(200);
    const after = () => events.slice(mark).filter((e) => e.sessionId === ids.repl);
    await waitFor(
      () =>
        inOrder(
          after()
            .filter((e) => e.type === 'session.activity')
            .map((e) => e.activity!),
          ['busy', 'awaiting_input'],
        ),
      { timeoutMs: 15_000, message: 'busy, then awaiting_input' },
    );
    expect(after().some((e) => e.type === 'session.stdout' && e.line === 'you said: hello')).toBe(
      true,
    );
    expect(await get(ids.repl)).toMatchObject({ status: 'running', activity: 'awaiting_input' });

    // The same over NATS; `newline` defaults to true.
    await client.call('session.input', { id: ids.repl, text: 'over nats' });
    await waitFor(async () =>
      (await call('GET', `/api/sessions/${ids.repl}/logs`)).text.includes(
        'stdout | you said: over nats',
      ),
    );
    const logs = await client.call<{ items: Array<{ seq: number; stream: string; line: string }> }>(
      'session.logs',
      { id: ids.repl },
    );
    expect(logs.items.map((l) => l.line)).toEqual(
      expect.arrayContaining(['you said: hello', 'you said: over nats']),
    );
    const tail = await call(
      'GET',
      `/api/sessions/${ids.repl}/logs?format=json&since=${logs.items.at(-2)!.seq}`,
    );
    expect(tail.json.items).toEqual([logs.items.at(-1)]);
  }, 30_000);

  it('follows a session log on a real server', async () => {
    const http = await startHttpServer({ app });
    const abort = new AbortController();
    try {
      const res = await fetch(`${http.url}/api/sessions/${ids.repl}/logs?follow=1`, {
        signal: abort.signal,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const readUntil = async (needle: string) => {
        while (!text.includes(needle)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`stream ended before '${needle}': ${text}`);
          text += decoder.decode(value, { stream: true });
        }
      };
      await readUntil('stdout | you said: hello'); // the buffered lines first
      await client.call('session.input', { id: ids.repl, text: 'followed' });
      await readUntil('stdout | you said: followed'); // then new ones as they come
      expect(text.indexOf('you said: hello')).toBeLessThan(text.indexOf('you said: followed'));
      abort.abort();

      // Deleting the session ends its followed log.
      const cat = await call('POST', '/api/sessions', {
        name: 'followed-cat',
        command: ['cat'],
        autostart: true,
      });
      expect(cat.status, cat.text).toBe(201);
      const follow = await fetch(`${http.url}/api/sessions/${cat.json.id}/logs?follow=1`);
      await client.call('session.input', { id: cat.json.id, text: 'meow' });
      const catReader = follow.body!.getReader();
      let catText = '';
      while (!catText.includes('stdout | meow')) {
        const { value } = await catReader.read();
        catText += new TextDecoder().decode(value);
      }
      expect((await call('DELETE', `/api/sessions/${cat.json.id}`)).status).toBe(204);
      for (;;) {
        const { done } = await catReader.read();
        if (done) break;
      }
    } finally {
      abort.abort();
      await http.close();
    }
  }, 30_000);

  it('updates, sets preferences, checks health, stops and restarts', async () => {
    const patched = await call('PATCH', `/api/sessions/${ids.worker}`, {
      name: 'builder',
      tags: ['demo', 'ci'],
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({ name: 'builder', tags: ['demo', 'ci'] });
    const bad = await call('PATCH', `/api/sessions/${ids.worker}`, { command: ['rm', '-rf', '/'] });
    expect(bad.status).toBe(422);
    expect(bad.json.error.code).toBe('invalid_argument');
    expect(bad.json.error.message).toMatch(/command/);

    const pref = await call('PUT', `/api/sessions/${ids.worker}/preferences/color`, {
      value: 'blue',
    });
    expect(pref.json.definition.preferences).toEqual({ color: 'blue' });
    const viaNats = await client.call<SessionView>('session.set-preference', {
      id: ids.worker,
      key: 'pinned',
      value: true,
    });
    expect(viaNats.definition.preferences).toEqual({ color: 'blue', pinned: true });
    const removed = await call('DELETE', `/api/sessions/${ids.worker}/preferences/color`);
    expect(removed.json.definition.preferences).toEqual({ pinned: true });

    const health = await call('GET', `/api/sessions/${ids.worker}/health`);
    expect(health.json).toMatchObject({ alive: true, status: 'running' });
    const pid = health.json.pid as number;

    const stopped = await call('POST', `/api/sessions/${ids.worker}/stop`);
    expect(stopped.json).toMatchObject({ status: 'stopped', pid: null });
    expect(() => process.kill(pid, 0)).toThrow();
    const input = await call('POST', `/api/sessions/${ids.worker}/input`, { text: 'x' });
    expect(input.status).toBe(409);

    const started = await call('POST', `/api/sessions/${ids.worker}/start`);
    expect(started.json).toMatchObject({ status: 'running' });
    const restarted = await client.call<SessionView>('session.restart', { id: ids.worker });
    expect(restarted.status).toBe('running');
    expect(restarted.pid).not.toBe(started.json.pid);

    expect((await call('GET', '/api/sessions/ses_nope')).status).toBe(404);
    expect((await call('POST', '/api/sessions', { name: 'bad', command: [] })).status).toBe(422);
    expect((await call('POST', '/api/sessions/ses_nope/input', '[1]')).status).toBe(422);
  }, 40_000);

  it('refuses a session beyond maxSessions with 409, leaving the others alone', async () => {
    const extra: string[] = [];
    while (extra.length + 3 < MAX_SESSIONS) {
      const res = await call('POST', '/api/sessions', {
        name: `cat-${extra.length}`,
        command: ['cat'],
        autostart: true,
      });
      expect(res.status, res.text).toBe(201);
      extra.push(res.json.id);
    }
    const refused = await call('POST', '/api/sessions', { name: 'one-too-many', command: ['cat'] });
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatchObject({
      code: 'conflict',
      details: { maxSessions: MAX_SESSIONS },
    });
    expect(refused.json.error.message).toMatch(/maxSessions/);
    const overNats = await client.api('session.create', { name: 'one-too-many', command: ['cat'] });
    expect(overNats).toMatchObject({ ok: false, error: { code: 'conflict' } });

    // The others carry on.
    expect(
      (await call('POST', `/api/sessions/${ids.repl}/input`, { text: 'still here' })).status,
    ).toBe(200);
    expect((await get(ids.flaky)).status).toBe('running');

    // Deleting one kills its process and frees a place.
    const pid = (await get(extra[0]!)).pid!;
    expect((await call('DELETE', `/api/sessions/${extra[0]}`)).status).toBe(204);
    expect(() => process.kill(pid, 0)).toThrow();
    expect((await call('GET', `/api/sessions/${extra[0]}`)).status).toBe(404);
    await waitFor(() => eventsOf(extra[0]!).some((e) => e.type === 'session.deleted'));
    const again = await call('POST', '/api/sessions', { name: 'fits-again', command: ['cat'] });
    expect(again.status).toBe(201);
  }, 40_000);

  it('rate-limits state-changing commands with 429 and retryAfterMs, per session and per client', async () => {
    const before =
      parsePrometheusText(await stator.metrics()).value('stator_rate_limit_hits_total') ?? 0;
    // Default limits: 10/s, burst 20, in the caller's bucket and in the session's.
    const t0 = performance.now();
    const flood = await Promise.all(
      Array.from({ length: 40 }, () =>
        call('POST', `/api/sessions/${ids.flaky}/input`, { text: 'spam' }),
      ),
    );
    const elapsedS = (performance.now() - t0) / 1000;
    const ok = flood.filter((r) => r.status === 200).length;
    const limited = flood.filter((r) => r.status === 429);
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThanOrEqual(20 + Math.ceil(elapsedS * 10) + 1);
    expect(limited.length).toBe(40 - ok);
    for (const r of limited) {
      const { error } = r.json as ErrorBody;
      expect(error).toMatchObject({ code: 'rate_limited', recoverable: true });
      // The time until one token is back: at most one refill interval (100 ms at 10/s).
      expect(error.details!.retryAfterMs).toBeGreaterThanOrEqual(1);
      expect(error.details!.retryAfterMs).toBeLessThanOrEqual(100);
    }

    // Reads are never limited.
    expect((await call('GET', `/api/sessions/${ids.flaky}`)).status).toBe(200);
    // Another client, another session: untouched.
    const other = await client.api<SessionView>('session.input', {
      id: ids.repl,
      text: 'unaffected',
    });
    expect(other, JSON.stringify(other)).toMatchObject({ ok: true, data: { status: 'running' } });
    // Another client, the flooded session: its own bucket holds it back.
    const second = await RawClient.connect(server.url, 'session-api-second');
    let natsLimited = 0;
    try {
      const replies = await Promise.all(
        Array.from({ length: 40 }, () =>
          second.api('session.input', { id: ids.flaky, text: 'more spam' }),
        ),
      );
      natsLimited = replies.filter((r) => !r.ok && r.error.code === 'rate_limited').length;
      expect(natsLimited).toBeGreaterThanOrEqual(1);
      expect(replies.filter((r) => r.ok).length).toBeLessThanOrEqual(20);
    } finally {
      await second.close();
    }

    const metrics = parsePrometheusText(await stator.metrics());
    expect(metrics.value('stator_rate_limit_hits_total', { scope: 'command' })! - before).toBe(
      limited.length + natsLimited,
    );
    // Both sessions still run, and the flooded one takes input again once its bucket refills.
    expect(await get(ids.flaky)).toMatchObject({ status: 'running' });
    expect(await get(ids.repl)).toMatchObject({ status: 'running' });
    await waitFor(
      async () =>
        (await call('POST', `/api/sessions/${ids.flaky}/input`, { text: 'later' })).status === 200,
      {
        timeoutMs: 5000,
        intervalMs: 100,
        message: 'input accepted again',
      },
    );
  }, 40_000);
});

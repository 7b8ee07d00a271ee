import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBus, subjectSpace, type Bus } from '../../../src/bus/index.ts';
import { createHttpApp } from '../../../src/http/index.ts';
import type { StampedEvent } from '../../../src/events.ts';
import type { SessionView } from '../../../src/sessions/index.ts';
import { waitFor } from '../../helpers/poll.ts';
import { startStator, type TestStator } from '../../helpers/stator.ts';

/** Names of the default deployment (prefix `stator`), which these tests run as. */
const { actorIn, actorOut, apiSubject } = subjectSpace();

const REPL = [
  'sh',
  fileURLToPath(new URL('../../fixtures/sessions/echo-repl.sh', import.meta.url)),
];

let t: TestStator | undefined;
let bus: Bus | undefined;
afterEach(async () => {
  // The process host keeps session processes through a close: end them first.
  await t?.stator.sessions.close({ stopProcesses: true });
  await t?.close();
  t = undefined;
  await bus?.close();
  bus = undefined;
});

type Reply = { ok: boolean; data?: SessionView; error?: { code: string; message: string } };
type LogLine = { seq: number; stream: string; line: string };

describe('sessions on stator.session.<id>.in / .out', () => {
  it('takes start, input, restart and stop as inbound events and publishes its events', async () => {
    bus = createMemoryBus();
    t = await startStator({ bus, sessions: { killGraceMs: 1000, quietMs: 200 } });
    const session = await t.stator.sessions.create({
      name: 'repl',
      command: REPL,
      attention: { prompt: '^> $' },
    });
    const out: StampedEvent[] = [];
    bus.subscribe(actorOut('session', session.id), (msg) => out.push(msg.json()));
    const send = async (event: Record<string, unknown>): Promise<Reply> =>
      (await bus!.request(actorIn('session', session.id), event, { timeoutMs: 10_000 })).json();

    const started = await send({ type: 'start' });
    expect(started).toMatchObject({ ok: true, data: { id: session.id, status: 'running' } });
    t.processes.track(started.data!.pid);
    await waitFor(() =>
      out.some((e) => e.type === 'session.activity' && e.activity === 'awaiting_input'),
    );

    const answered = await send({ type: 'input', text: 'over the bus' });
    expect(answered).toMatchObject({ ok: true, data: { activity: 'busy' } });
    const line = await waitFor(() =>
      out.find((e) => e.type === 'session.stdout' && e.line.includes('echo: over the bus')),
    );
    expect(line).toMatchObject({ source: `session.${session.id}`, sessionId: session.id });

    const restarted = await send({ type: 'restart' });
    expect(restarted).toMatchObject({ ok: true, data: { status: 'running', restarts: 0 } });
    expect(restarted.data!.pid).not.toBe(started.data!.pid);
    t.processes.track(restarted.data!.pid);

    expect(await send({ type: 'stop' })).toMatchObject({ ok: true, data: { status: 'stopped' } });
    const statuses = out.flatMap((e) => (e.type === 'session.status' ? [e.status] : []));
    expect(statuses).toEqual([
      'starting',
      'running',
      'stopping',
      'starting',
      'running',
      'stopping',
      'stopped',
    ]);
  });

  it("gives each output event its line's logSeq, from which logs?since= resumes (HTTP and NATS)", async () => {
    bus = createMemoryBus();
    t = await startStator({ bus, sessions: { killGraceMs: 1000, quietMs: 200 } });
    const app = createHttpApp({ stator: t.stator });
    const session = await t.stator.sessions.create({ name: 'repl', command: REPL });
    const out: StampedEvent[] = [];
    bus.subscribe(actorOut('session', session.id), (msg) => out.push(msg.json()));
    t.processes.track((await t.stator.sessions.start(session.id)).pid);
    for (const text of ['one', 'two', 'three']) await t.stator.sessions.input(session.id, text);
    const lines = await waitFor(() => {
      const got = out.flatMap((e) => (e.type === 'session.stdout' ? [e] : []));
      return got.some((e) => e.line.endsWith('echo: three')) ? got : undefined;
    });
    // The event's own `seq` counts every event of the process; `logSeq` counts the session's lines.
    expect(lines.map((e) => e.logSeq)).toEqual(lines.map((_, i) => i + 1));
    expect(lines.some((e) => e.seq !== e.logSeq)).toBe(true);
    for (const e of lines) {
      const res = await app.request(
        `/api/sessions/${session.id}/logs?format=json&limit=1&since=${e.logSeq - 1}`,
      );
      const { items } = (await res.json()) as { items: LogLine[] };
      expect(items).toMatchObject([{ seq: e.logSeq, stream: 'stdout', line: e.line }]);
      const reply = await bus.request(
        apiSubject('session.logs'),
        { id: session.id, since: e.logSeq - 1, limit: 1 },
        { timeoutMs: 10_000 },
      );
      expect(reply.json()).toMatchObject({ ok: true, data: { items } });
    }
  });

  it('answers bad events and unknown sessions with structured errors', async () => {
    bus = createMemoryBus();
    t = await startStator({ bus });
    const session = await t.stator.sessions.create({ name: 'cat', command: ['cat'] });
    const ask = async (id: string, event: unknown): Promise<Reply> =>
      (await bus!.request(actorIn('session', id), event, { timeoutMs: 10_000 })).json();
    expect(await ask(session.id, { type: 'explode' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_argument' },
    });
    expect(await ask(session.id, { type: 'input' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_argument' },
    });
    expect(await ask(session.id, { type: 'input', text: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
    expect(await ask('ses_nope', { type: 'start' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });
});

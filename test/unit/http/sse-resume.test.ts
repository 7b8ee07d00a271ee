import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStator } from '../../../src/index.ts';
import type { Stator } from '../../../src/runtime/types.ts';
import type { StampedEvent } from '../../../src/events.ts';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../../src/http/index.ts';
import { readSse, type SseMessage } from '../../helpers/sse-client.ts';

const TOKEN = 'sse-resume-token-0123456789';
const RECENT = 6;

describe('GET /api/events: Last-Event-ID resume', () => {
  let stator: Stator;
  let server: HttpServerHandle;
  const seen: StampedEvent[] = [];

  beforeAll(async () => {
    stator = await createStator({ store: 'memory', monitor: { recentEvents: RECENT } });
    stator.subscribe((e) => void seen.push(e), { bufferSize: 100_000 });
    await stator.registerWorkflow({ id: 'two', steps: [{ id: 'a', run: 'echo 1; echo 2' }] });
    const app = createHttpApp({ stator, apiToken: TOKEN });
    server = await startHttpServer({ app, port: 0 });
    for (let i = 0; i < 3; i++) {
      const { executionId } = await stator.execute('two');
      await stator.waitForExecution(executionId);
    }
    await new Promise((resolve) => setImmediate(resolve));
  });
  afterAll(async () => {
    await server?.close();
    await stator?.close();
  });

  /** Reads messages until `count` events (data messages with an id) arrived. */
  async function read(url: string, headers: Record<string, string>, count: number) {
    const abort = new AbortController();
    const res = await fetch(url, { headers, signal: abort.signal });
    expect(res.status).toBe(200);
    const messages: SseMessage[] = [];
    try {
      for await (const msg of readSse(res.body!)) {
        messages.push(msg);
        if (messages.filter((m) => m.id !== undefined).length >= count) break;
      }
    } finally {
      abort.abort();
    }
    return messages;
  }

  it('announces a gap for an id older than the recent buffer, then replays what it keeps', async () => {
    const last = seen.at(-1)!.seq;
    const messages = await read(
      `${server.url}/api/events?token=${TOKEN}`,
      { 'last-event-id': '1' },
      RECENT,
    );
    const data = messages.filter((m) => m.data !== undefined);
    expect(data[0]!.event).toBe('monitor.gap');
    expect(data[0]!.id).toBeUndefined();
    // The ring holds the last RECENT events (an engine event may have come after `last`).
    const { firstSeq } = JSON.parse(data[0]!.data!) as { firstSeq: number };
    expect(firstSeq).toBeGreaterThanOrEqual(last - RECENT + 1);
    expect(JSON.parse(data[0]!.data!)).toEqual({
      type: 'monitor.gap',
      since: 1,
      firstSeq,
      missed: firstSeq - 2,
      reason: 'evicted',
    });
    const ids = data.slice(1).map((m) => Number(m.id));
    expect(ids).toEqual(Array.from({ length: RECENT }, (_, i) => firstSeq + i));
  });

  it('replays nothing and announces nothing when the id is the latest', async () => {
    const last = seen.at(-1)!.seq;
    const abort = new AbortController();
    const res = await fetch(`${server.url}/api/events?lastEventId=${last}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      signal: abort.signal,
    });
    const messages: SseMessage[] = [];
    const pending = (async () => {
      for await (const msg of readSse(res.body!)) {
        messages.push(msg);
        if (msg.id !== undefined) break;
      }
    })();
    // The next event is the first one this client gets.
    const { executionId } = await stator.execute('two');
    await pending;
    abort.abort();
    await stator.waitForExecution(executionId);
    const data = messages.filter((m) => m.data !== undefined);
    expect(data).toHaveLength(1);
    expect(Number(data[0]!.id)).toBe(last + 1);
  });

  it('rejects a bad Last-Event-ID and a missing or wrong token', async () => {
    const bad = await fetch(`${server.url}/api/events?lastEventId=abc&token=${TOKEN}`);
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_argument' } });
    const wrong = await fetch(`${server.url}/api/events?token=nope`);
    expect(wrong.status).toBe(401);
    await wrong.body?.cancel();
    // `?token=` is accepted on the event stream only.
    const elsewhere = await fetch(`${server.url}/api/workflows?token=${TOKEN}`);
    expect(elsewhere.status).toBe(401);
    await elsewhere.body?.cancel();
  });
});

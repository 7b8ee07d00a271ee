import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStator } from '../../../src/index.ts';
import type { Stator } from '../../../src/runtime/types.ts';
import type { StampedEvent } from '../../../src/events.ts';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../../src/http/index.ts';
import { openWs, type WsClient, type WsMessage } from '../../helpers/ws-client.ts';

const TOKEN = 'ws-token-0123456789abcdef';

describe('GET /ws (WebSocket)', () => {
  let stator: Stator;
  let server: HttpServerHandle;
  let wsUrl: string;
  const clients: WsClient[] = [];

  async function connect(query = `?token=${TOKEN}`): Promise<WsClient> {
    const client = await openWs(`${wsUrl}${query}`);
    clients.push(client);
    await client.next((m) => m.type === 'connected');
    return client;
  }

  beforeAll(async () => {
    stator = await createStator({ store: 'memory' });
    await stator.registerWorkflow({
      id: 'ws-diamond',
      steps: [
        { id: 'a', run: 'echo a-out' },
        { id: 'b', needs: ['a'], run: 'echo b-out' },
        { id: 'c', needs: ['a'], run: 'echo c-out' },
        { id: 'd', needs: ['b', 'c'], run: 'echo d-out' },
      ],
    });
    const app = createHttpApp({ stator, apiToken: TOKEN });
    server = await startHttpServer({ app, port: 0 });
    wsUrl = `${server.url.replace('http', 'ws')}/ws`;
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await server?.close();
    await stator?.close();
  });

  it('greets, then streams one run to a subscriber in causal order', async () => {
    const ws = await connect();
    expect(ws.messages[0]).toMatchObject({ type: 'connected', protocol: 1 });
    ws.send({ type: 'subscribe', executionId: 'ex-ws-1' });
    const subscribed = await ws.next((m) => m.type === 'subscribed');
    expect(subscribed).toEqual({
      type: 'subscribed',
      subscription: 'executionId=ex-ws-1',
      filter: { executionId: 'ex-ws-1' },
    });
    await stator.execute('ws-diamond', {}, { executionId: 'ex-ws-1' });
    await ws.next(
      (m) => m.type === 'event' && (m.event as StampedEvent).type === 'execution.completed',
    );

    const events = ws.messages
      .filter((m): m is WsMessage & { event: StampedEvent } => m.type === 'event')
      .map((m) => m.event);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(events.every((e) => (e as { executionId?: string }).executionId === 'ex-ws-1')).toBe(
      true,
    );
    const at = (type: string, step?: string) =>
      events.findIndex(
        (e) =>
          e.type === type && (step === undefined || (e as { stepId?: string }).stepId === step),
      );
    expect(at('execution.started')).toBeLessThan(at('step.started', 'a'));
    for (const step of ['b', 'c']) {
      expect(at('step.completed', 'a')).toBeLessThan(at('step.started', step));
      expect(at('step.completed', step)).toBeLessThan(at('step.started', 'd'));
    }
    expect(events.at(-1)!.type).toBe('execution.completed');
  });

  it('answers ping with pong, echoing the ref', async () => {
    const ws = await connect();
    ws.send({ type: 'ping', ref: 42 });
    expect(await ws.next((m) => m.type === 'pong')).toEqual({ type: 'pong', ref: 42 });
    ws.send({ type: 'ping' });
    await ws.next(() => ws.messages.filter((m) => m.type === 'pong').length === 2);
    expect(ws.messages.at(-1)).toEqual({ type: 'pong' });
  });

  it('replies to bad messages with an error and stays usable', async () => {
    const ws = await connect();
    const errors = () => ws.messages.filter((m) => m.type === 'error');
    const bad = [
      'not json',
      JSON.stringify({ type: 'shout' }),
      JSON.stringify({ type: 'subscribe', kind: 'robot' }),
      JSON.stringify({ type: 'subscribe', severity: 'loud' }),
      JSON.stringify({ type: 'subscribe', sessionId: 's1', kind: 'engine' }),
      JSON.stringify({ type: 'subscribe', bogus: true }),
      JSON.stringify({ type: 'unsubscribe', executionId: 'never-subscribed' }),
    ];
    for (const [i, text] of bad.entries()) {
      ws.send(text);
      await ws.next(() => errors().length > i);
    }
    const codes = errors().map((m) => (m.error as { code: string }).code);
    expect(codes[0]).toBe('malformed_json');
    expect(codes.slice(1, 6).every((c) => c === 'invalid_argument')).toBe(true);
    expect(codes[6]).toBe('not_found');
    expect(errors()[2]!.error).toMatchObject({ message: expect.stringContaining('kind') });

    // Still usable: subscribe (sessionId means kind=session), unsubscribe, ping.
    ws.send({ type: 'subscribe', sessionId: 's1' });
    expect(await ws.next((m) => m.type === 'subscribed')).toMatchObject({
      filter: { kind: 'session', id: 's1' },
    });
    ws.send({ type: 'unsubscribe', sessionId: 's1' });
    expect(await ws.next((m) => m.type === 'unsubscribed')).toMatchObject({
      subscription: 'id=s1&kind=session',
    });
    ws.send({ type: 'ping', ref: 'still-here' });
    expect(await ws.next((m) => m.type === 'pong')).toEqual({ type: 'pong', ref: 'still-here' });
  });

  it('resumes with `since` over the socket and filters by event type', async () => {
    const ws = await connect();
    await stator.execute('ws-diamond', {}, { executionId: 'ex-ws-2' });
    await stator.waitForExecution('ex-ws-2');
    // Every stdout line of that run, replayed from the recent buffer.
    ws.send({ type: 'subscribe', executionId: 'ex-ws-2', eventType: 'step.stdout', since: 0 });
    await ws.next((m) => m.type === 'subscribed');
    const events = () => ws.messages.filter((x) => x.type === 'event');
    await ws.next(() => events().length >= 4);
    const lines = events().map((x) => (x.event as { line: string }).line);
    expect(lines.sort()).toEqual(['a-out', 'b-out', 'c-out', 'd-out']);
  });

  it('refuses the upgrade without the token, accepts the header as well as ?token=', async () => {
    await expect(openWs(wsUrl)).rejects.toThrow(/401/);
    await expect(openWs(`${wsUrl}?token=wrong`)).rejects.toThrow(/401/);
    const viaHeader = await openWs(wsUrl, { authorization: `Bearer ${TOKEN}` });
    clients.push(viaHeader);
    expect(await viaHeader.next((m) => m.type === 'connected')).toMatchObject({ protocol: 1 });
  });

  it('closes open sockets when the server closes', async () => {
    const app = createHttpApp({ stator });
    const other = await startHttpServer({ app, port: 0 });
    const ws = await openWs(`${other.url.replace('http', 'ws')}/ws`);
    clients.push(ws);
    await ws.next((m) => m.type === 'connected');
    await other.close();
    expect(await ws.closed).toBe(1001);
  });
});

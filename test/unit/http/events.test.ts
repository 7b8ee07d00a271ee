import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStator } from '../../../src/index.ts';
import type { EventSubscription, Stator } from '../../../src/runtime/types.ts';
import type { StampedEvent } from '../../../src/events.ts';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../../src/http/index.ts';
import { waitFor } from '../../helpers/poll.ts';
import { readSse } from '../../helpers/sse-client.ts';

const TOKEN = 'sse-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };

describe('GET /api/events (SSE)', () => {
  let stator: Stator;
  let server: HttpServerHandle;
  const live = new Set<string>();

  beforeAll(async () => {
    stator = await createStator({ store: 'memory' });
    // The real service, with subscribe observed so the test can see unsubscribe on abort.
    const observed = new Proxy(stator, {
      get(target, prop, receiver) {
        if (prop !== 'subscribe') return Reflect.get(target, prop, receiver) as unknown;
        return (...args: Parameters<Stator['subscribe']>): EventSubscription => {
          const sub = target.subscribe(...args);
          live.add(sub.id);
          return {
            id: sub.id,
            dropped: () => sub.dropped(),
            unsubscribe: () => {
              live.delete(sub.id);
              sub.unsubscribe();
            },
          };
        };
      },
    });
    const app = createHttpApp({ stator: observed, apiToken: TOKEN, sseHeartbeatMs: 100 });
    server = await startHttpServer({ app, port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await stator?.close();
  });

  it('streams one diamond run in order, then unsubscribes when the client aborts', async () => {
    await stator.registerWorkflow({
      id: 'sse-diamond',
      steps: [
        { id: 'a', run: 'echo a-out' },
        { id: 'b', needs: ['a'], run: 'echo b-out' },
        { id: 'c', needs: ['a'], run: 'echo c-out' },
        { id: 'd', needs: ['b', 'c'], run: 'echo d-out' },
      ],
    });
    const abort = new AbortController();
    const res = await fetch(`${server.url}/api/events?workflowId=sse-diamond`, {
      headers: AUTH,
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');

    const events: StampedEvent[] = [];
    const ids: number[] = [];
    let executionId: string | undefined;
    for await (const msg of readSse(res.body!)) {
      if (msg.comment === 'connected' && executionId === undefined) {
        ({ executionId } = await stator.execute('sse-diamond'));
        continue;
      }
      if (msg.data === undefined) continue; // heartbeat
      const event = JSON.parse(msg.data) as StampedEvent;
      expect(msg.event).toBe(event.type);
      expect(msg.id).toBe(String(event.seq));
      ids.push(event.seq);
      events.push(event);
      if (event.type === 'execution.completed' || event.type === 'execution.failed') break;
    }
    abort.abort();

    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(events.every((e) => 'executionId' in e && e.executionId === executionId)).toBe(true);
    const at = (type: string, step?: string) =>
      events.findIndex(
        (e) => e.type === type && (step === undefined || ('stepId' in e && e.stepId === step)),
      );
    expect(events.at(-1)!.type).toBe('execution.completed');
    expect(at('execution.started')).toBeLessThan(at('step.started', 'a'));
    for (const step of ['b', 'c']) {
      expect(at('step.completed', 'a')).toBeLessThan(at('step.started', step));
      expect(at('step.completed', step)).toBeLessThan(at('step.started', 'd'));
    }
    const stdout = events.filter((e) => e.type === 'step.stdout');
    expect(stdout.map((e) => ('line' in e ? e.line : '')).sort()).toEqual([
      'a-out',
      'b-out',
      'c-out',
      'd-out',
    ]);

    await waitFor(() => live.size === 0, { message: 'SSE subscription still live after abort' });
  });

  it('sends heartbeat comments while idle', async () => {
    const abort = new AbortController();
    const res = await fetch(`${server.url}/api/events?kind=engine&type=engine.rejected`, {
      headers: AUTH,
      signal: abort.signal,
    });
    const seen: string[] = [];
    for await (const msg of readSse(res.body!)) {
      if (msg.comment) seen.push(msg.comment);
      if (msg.comment === 'heartbeat') break;
    }
    abort.abort();
    expect(seen).toEqual(['connected', 'heartbeat']);
    await waitFor(() => live.size === 0);
  });

  it('validates the filter and requires the token', async () => {
    const bad = await fetch(`${server.url}/api/events?kind=robot`, { headers: AUTH });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_argument');
    const anon = await fetch(`${server.url}/api/events`);
    expect(anon.status).toBe(401);
    await anon.body?.cancel();
    expect(live.size).toBe(0);
  });
});

/**
 * The actor router on a real in-process bus: an actor's inbound subject is served by the process
 * that owns it and nobody else, a released actor gets "no responders" (cluster) or `not_found`
 * (embedded), a request already on its way when the actor leaves is still answered, bad payloads
 * get structured errors, and a trigger's replicas share each message.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBus, type Bus, type BusMessage } from '../../../src/bus/index.ts';
import {
  createActorRouter,
  type ActorRouter,
  type RouteTable,
} from '../../../src/runtime/actor-router.ts';
import { rejection } from '../../helpers/poll.ts';

const logger = pino({ level: 'silent' });
const routers: ActorRouter[] = [];
afterEach(() => routers.splice(0).forEach((r) => r.close()));

/** A router whose every route answers with the process name, the id and the event. */
function processOn(bus: Bus, name: string, answerUnknown = false) {
  const handled: string[] = [];
  const route = async (id: string, event: { type: string }) => {
    handled.push(`${id}:${event.type}`);
    return { by: name, id, type: event.type };
  };
  const routes: RouteTable = { execution: route, engine: route, trigger: route, session: route };
  const router = createActorRouter(bus, routes, logger, { answerUnknown });
  routers.push(router);
  return { router, handled };
}

/** Publishes a request and collects every reply for a while (a request keeps only the first). */
async function replies(bus: Bus, subject: string, payload: unknown): Promise<unknown[]> {
  const got: unknown[] = [];
  const inbox = `_INBOX.test.${Math.random().toString(36).slice(2)}`;
  const sub = bus.subscribe(inbox, (msg: BusMessage) => got.push(msg.json()));
  bus.publish(subject, payload, { reply: inbox });
  await new Promise((r) => setTimeout(r, 50));
  sub.unsubscribe();
  return got;
}

describe('actor router', () => {
  it('serves an actor from its owner only, and from nobody once released', async () => {
    const bus = createMemoryBus();
    const [a, b] = [processOn(bus, 'a'), processOn(bus, 'b')];
    b.router.own('session', 's1');
    expect(await replies(bus, 'stator.session.s1.in', { type: 'get' })).toEqual([
      { ok: true, data: { by: 'b', id: 's1', type: 'get' } },
    ]);
    expect(a.handled).toEqual([]);
    b.router.release('session', 's1');
    expect(b.router.owns('session', 's1')).toBe(false);
    const err = await rejection(bus.request('stator.session.s1.in', { type: 'get' }));
    expect(err).toMatchObject({ code: 'no_responders' });
  });

  it('answers a request already on its way when the actor leaves', async () => {
    const bus = createMemoryBus();
    const a = processOn(bus, 'a');
    a.router.own('execution', 'x1');
    const asked = bus.request('stator.execution.x1.in', { type: 'cancel' }, { timeoutMs: 1000 });
    a.router.release('execution', 'x1');
    expect((await asked).json()).toMatchObject({ ok: true, data: { by: 'a' } });
  });

  it('refuses malformed and unknown events with structured errors', async () => {
    const bus = createMemoryBus();
    const a = processOn(bus, 'a');
    a.router.own('engine', 'e1');
    const ask = async (payload: unknown) =>
      (await bus.request('stator.engine.e1.in', payload)).json();
    expect(await ask({ type: 'explode' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_argument' },
    });
    expect(await ask(new TextEncoder().encode('{"type":'))).toMatchObject({
      ok: false,
      error: { code: 'malformed_json' },
    });
    expect(a.handled).toEqual([]);
  });

  it("shares each message among a trigger's replicas", async () => {
    const bus = createMemoryBus();
    const [a, b] = [processOn(bus, 'a'), processOn(bus, 'b')];
    a.router.own('trigger', 't1');
    b.router.own('trigger', 't1');
    for (let i = 0; i < 6; i++) {
      expect(await replies(bus, 'stator.trigger.t1.in', { type: 'fire' })).toHaveLength(1);
    }
    expect(a.handled.length + b.handled.length).toBe(6);
    expect(a.handled.length).toBeGreaterThan(0);
    expect(b.handled.length).toBeGreaterThan(0);
  });

  it('embedded: says not_found (held: false) for actors nobody holds, once for held ones', async () => {
    const bus = createMemoryBus();
    const a = processOn(bus, 'a', true);
    expect(await replies(bus, 'stator.engine.ghost.in', { type: 'pause' })).toEqual([
      {
        ok: false,
        error: expect.objectContaining({
          code: 'not_found',
          details: { kind: 'engine', id: 'ghost', held: false },
        }),
      },
    ]);
    a.router.own('engine', 'e1');
    expect(await replies(bus, 'stator.engine.e1.in', { type: 'pause' })).toEqual([
      { ok: true, data: { by: 'a', id: 'e1', type: 'pause' } },
    ]);
    a.router.close();
    const err = await rejection(bus.request('stator.engine.e1.in', { type: 'pause' }));
    expect(err).toMatchObject({ code: 'no_responders' });
  });
});

import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBus, type Bus } from '../../../src/bus/index.ts';
import { systemClock } from '../../../src/clock.ts';
import { createActorRouter, type ActorRouter } from '../../../src/runtime/actor-router.ts';
import {
  createSessionManager,
  type LocalSessionManager,
  type SessionInbound,
} from '../../../src/sessions/index.ts';
import { createMemoryStore } from '../../../src/store/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { ProcessTracker } from '../../fixtures/exec/process-tracker.ts';
import { rejection, waitFor } from '../../helpers/poll.ts';

const tracker = new ProcessTracker();
const managers: LocalSessionManager[] = [];
const buses: Bus[] = [];
const routers: ActorRouter[] = [];
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
  for (const r of routers.splice(0)) r.close();
  for (const b of buses.splice(0)) await b.close();
  tracker.killSurvivors();
});

/** A manager on `node` whose sessions' inbound subjects its own actor router serves. */
function node(name: string, store: Store, bus: Bus): LocalSessionManager {
  const router = createActorRouter(
    bus,
    {
      session: (id, event) => manager.inbound(id, event as SessionInbound),
      execution: async () => undefined,
      engine: async () => undefined,
      trigger: async () => undefined,
    },
    pino({ level: 'silent' }),
  );
  routers.push(router);
  const manager = createSessionManager({
    store,
    emit: () => undefined,
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    node: name,
    cluster: { bus },
    inbox: {
      own: (id) => router.own('session', id),
      release: (id) => router.release('session', id),
    },
    options: { killGraceMs: 300, quietMs: 200 },
  });
  managers.push(manager);
  return manager;
}

describe('sessions in a cluster', () => {
  it('reads other processes’ sessions from the store and forwards their commands to the owner', async () => {
    const store = createMemoryStore();
    const bus = createMemoryBus();
    buses.push(bus);
    const a = node('node-a', store, bus);
    const b = node('node-b', store, bus);
    const v = await a.create({ name: 'cat', command: ['cat'], tags: ['x'], autostart: true });
    tracker.track(v.pid);

    expect(await b.get(v.id)).toMatchObject({ status: 'running', pid: v.pid });
    expect((await b.list({ tag: 'x' })).items.map((s) => s.id)).toEqual([v.id]);
    expect(await b.input(v.id, 'hello')).toMatchObject({ id: v.id, activity: 'busy' });
    await waitFor(async () => (await a.logs(v.id)).some((l) => l.line === 'hello'));
    expect(await b.stop(v.id)).toMatchObject({ status: 'stopped' });
    expect((await a.get(v.id)).status).toBe('stopped');

    // Reads and edits go to the owner too, and come back in full.
    expect(await b.update(v.id, { name: 'renamed' })).toMatchObject({ name: 'renamed' });
    expect((await a.get(v.id)).name).toBe('renamed');
    expect(await b.setPreference(v.id, 'k', 1)).toMatchObject({
      definition: { preferences: { k: 1 } },
    });
    expect(await b.healthCheck(v.id)).toMatchObject({ id: v.id, alive: false });
    expect((await b.logs(v.id)).map((l) => l.line)).toContain('hello');
    expect(await rejection(b.input('ses_nope', 'x'))).toMatchObject({ code: 'not_found' });
    await b.delete(v.id);
    expect(await rejection(a.get(v.id))).toMatchObject({ code: 'not_found' });

    // A restart of node b does not adopt node a's session.
    const b2 = node('node-b', store, bus);
    await b2.restore();
    expect(b2.size).toBe(0);
  });

  it('says so when the owner does not answer', async () => {
    const store = createMemoryStore();
    const bus = createMemoryBus();
    buses.push(bus);
    const a = node('node-a', store, bus);
    const v = await a.create({ name: 'cat', command: ['cat'] });
    await a.close();
    const b = node('node-b', store, bus);
    const err = await rejection(b.start(v.id));
    expect(err.code).toBe('unavailable');
    // Nobody subscribes its subject any more: told at once, not after a timeout.
    expect(err.message).toMatch(/runs on 'node-a', which is not running/);
    expect(await rejection(b.logs(v.id))).toMatchObject({ code: 'unavailable' });
    // Its record is still there to read.
    expect(await b.get(v.id)).toMatchObject({ id: v.id, node: 'node-a' });
  });
});

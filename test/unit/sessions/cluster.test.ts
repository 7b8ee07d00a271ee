import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBus, type Bus } from '../../../src/bus/index.ts';
import { actorWildcard, parseActorSubject } from '../../../src/bus/subjects.ts';
import { systemClock } from '../../../src/clock.ts';
import { toWire } from '../../../src/errors.ts';
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
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
  for (const b of buses.splice(0)) await b.close();
  tracker.killSurvivors();
});

/** A manager on `node` answering `stator.session.*.in` as the actor router does. */
function node(name: string, store: Store, bus: Bus): LocalSessionManager {
  const manager = createSessionManager({
    store,
    emit: () => undefined,
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    node: name,
    cluster: { bus },
    options: { killGraceMs: 300, quietMs: 200 },
  });
  bus.subscribe(actorWildcard('in', 'session'), (msg) => {
    const id = parseActorSubject(msg.subject)!.id;
    manager.inbound(id, msg.json<SessionInbound>()).then(
      (view) => {
        if (view !== undefined) msg.respond({ ok: true, data: view });
      },
      (err: unknown) => msg.respond({ ok: false, error: toWire(err) }),
    );
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

    // What only the owner can do is refused with where to ask.
    const err = await rejection(b.update(v.id, { name: 'renamed' }));
    expect(err).toMatchObject({ code: 'conflict', details: { node: 'node-a' } });
    expect(await rejection(b.input('ses_nope', 'x'))).toMatchObject({ code: 'not_found' });

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
    expect(err.message).toMatch(/runs on 'node-a', which does not answer/);
  });
});

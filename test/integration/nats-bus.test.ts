import { nkeys } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsBus, resolveNatsBusOptions, type NatsBus } from '../../src/bus/nats-bus.ts';
import { runBusConformance } from '../conformance/bus.case.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../helpers/nats-server.ts';
import { latch, rejection, waitFor } from '../helpers/poll.ts';

let server: NatsServer | undefined;

beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server?.stop();
});

runBusConformance({
  name: 'nats',
  create: () => createNatsBus({ url: server!.url, name: 'stator-conformance' }),
});

describe('nats bus', () => {
  it('resolves options: defaults, tls:// implies TLS, contradictions named', () => {
    const o = resolveNatsBusOptions();
    expect(o).toMatchObject({ servers: ['nats://127.0.0.1:4222'], name: 'stator' });
    expect(o.tls).toBeUndefined();
    expect(resolveNatsBusOptions({ url: 'tls://example.com:4222' }).tls).toEqual({});
    expect(() => resolveNatsBusOptions({ url: 'nats://a', servers: ['nats://b'] })).toThrow(/url/);
    expect(() => resolveNatsBusOptions({ user: 'u' })).toThrow(/user/);
    expect(() => resolveNatsBusOptions({ token: 't', nkeySeed: 'SU' })).toThrow(/auth/);
    expect(() => resolveNatsBusOptions({ outboxLimit: -1 })).toThrow(/outboxLimit/);
    expect(o.subjects.prefix).toBe('stator');
    expect(resolveNatsBusOptions({ prefix: 'acme' }).subjects.actorWildcard('out')).toBe(
      'acme.*.*.out',
    );
    expect(() => resolveNatsBusOptions({ prefix: 'a.b' })).toThrow(/prefix/);
  });

  it('fails to connect with code unavailable when no server listens', async () => {
    const dead = await startNatsServer({ private: true });
    const url = dead.url;
    await dead.stop();
    const err = await rejection(createNatsBus({ url }));
    expect(err).toMatchObject({ code: 'unavailable' });
  });

  it('says how to get nats-server when the binary is missing', async () => {
    const path = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    try {
      await expect(startNatsServer({ private: true })).rejects.toThrow(
        'nats-server not found: apt-get install nats-server or set NATS_URL',
      );
    } finally {
      process.env['PATH'] = path;
    }
  });

  it('authenticates with a token', async () => {
    await using auth = await startNatsServer({ extraConfig: 'authorization { token: "s3cret" }' });
    const bus = await createNatsBus({ url: auth.url, token: 's3cret' });
    expect(bus.connected).toBe(true);
    await bus.close();
    expect(await rejection(createNatsBus({ url: auth.url, token: 'wrong' }))).toMatchObject({
      code: 'unavailable',
    });
  });

  it('authenticates with an nkey seed', async () => {
    const user = nkeys.createUser();
    const nkey = user.getPublicKey();
    await using auth = await startNatsServer({
      extraConfig: `authorization { users: [ { nkey: ${JSON.stringify(nkey)} } ] }`,
    });
    const seed = new TextDecoder().decode(user.getSeed());
    const bus = await createNatsBus({ url: auth.url, nkeySeed: seed });
    const p = uniquePrefix();
    bus.subscribe(`${p}.svc`, (m) => m.respond('pong'));
    expect((await bus.request(`${p}.svc`, 'ping')).json()).toBe('pong');
    await bus.close();
  });

  it('exposes the NatsConnection for JetStream users', async () => {
    const bus = await createNatsBus({ url: server!.url });
    expect(bus.kind).toBe('nats');
    expect(bus.connected).toBe(true);
    expect(bus.connection.isClosed()).toBe(false);
    await bus.close();
    expect(bus.connection.isClosed()).toBe(true);
    expect(bus.connected).toBe(false);
  });

  it('survives a server restart: publishes while down never throw, the outbox is bounded', async () => {
    // Its own server (even with NATS_URL set): this test stops and restarts it.
    let own = await startNatsServer({ private: true });
    let bus: NatsBus | undefined;
    try {
      bus = await createNatsBus({ url: own.url, reconnectWaitMs: 100, outboxLimit: 5 });
      const p = uniquePrefix();
      const got: unknown[] = [];
      bus.subscribe(`${p}.events`, (m) => void got.push(m.json()));
      bus.subscribe(`${p}.svc`, (m) => m.respond('pong'));
      await bus.flush();
      bus.publish(`${p}.events`, 'before');
      await waitFor(() => got.length === 1);

      const port = own.port;
      await own.stop();
      await waitFor(() => !bus!.connected, { message: 'client did not notice the server stop' });
      const droppedBefore = bus.stats().dropped;
      for (let i = 0; i < 20; i++) expect(() => bus!.publish(`${p}.events`, i)).not.toThrow();
      expect(bus.stats().dropped - droppedBefore).toBe(15);

      own = await startNatsServer({ private: true, port });
      await waitFor(() => bus!.connected, {
        timeoutMs: 15_000,
        message: 'client did not reconnect',
      });
      const after = latch(1);
      bus.subscribe(`${p}.after`, () => after.countDown());
      await bus.flush();
      bus.publish(`${p}.after`, 'x');
      await after.wait();
      expect((await bus.request(`${p}.svc`, 'ping', { timeoutMs: 10_000 })).json()).toBe('pong');
      // The buffered publishes went out on reconnect, after the subscriptions were restored.
      await waitFor(() => got.length >= 1 + 5);
      expect(got.slice(0, 6)).toEqual(['before', 0, 1, 2, 3, 4]);
    } finally {
      await bus?.close();
      await own.stop();
    }
  });
});

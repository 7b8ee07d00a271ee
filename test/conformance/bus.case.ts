/**
 * The one contract every Bus implementation passes (memory and NATS). Each test uses its own
 * random subject prefix, so implementations on a shared server do not see each other's traffic.
 * "Nothing more arrives" is checked with a barrier: a message on a fresh subject published after
 * the traffic under test; once it is received, everything published before it was delivered.
 * @module
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MalformedPayloadError, NoRespondersError, TimeoutError } from '../../src/errors.ts';
import type { Bus, BusMessage, BusSubscription, SubscribeOptions } from '../../src/bus/types.ts';
import { uniquePrefix } from '../helpers/nats-server.ts';
import { latch, rejection, waitFor } from '../helpers/poll.ts';

/** What a conformance run needs. */
export interface BusConformanceOptions {
  name: string;
  /** A fresh, connected bus for each test (closed by the suite after the test). */
  create: () => Promise<Bus>;
  /** Runs once after the whole suite (stop servers, remove files). */
  cleanup?: () => Promise<void>;
}

interface Collector {
  msgs: BusMessage[];
  sub: BusSubscription;
}

function collect(bus: Bus, subject: string, opts?: SubscribeOptions): Collector {
  const msgs: BusMessage[] = [];
  const sub = bus.subscribe(subject, (m) => void msgs.push(m), opts);
  return { msgs, sub };
}

/** Publishes a marker on a fresh subject and waits for it: earlier traffic has been delivered. */
async function barrier(bus: Bus, prefix: string): Promise<void> {
  const subject = `${prefix}.barrier.${uniquePrefix('b')}`;
  const seen = latch(1);
  const sub = bus.subscribe(subject, () => seen.countDown());
  await bus.flush();
  bus.publish(subject, 'barrier');
  await seen.wait();
  sub.unsubscribe();
}

function caught(fn: () => unknown): { code?: string } & Error {
  try {
    fn();
  } catch (err) {
    return err as { code?: string } & Error;
  }
  throw new Error('expected a throw');
}

/** Registers the bus contract as a vitest suite for one implementation. */
export function runBusConformance({ name, create, cleanup }: BusConformanceOptions): void {
  describe(`bus conformance: ${name}`, () => {
    let bus: Bus;
    let p: string;

    beforeEach(async () => {
      bus = await create();
      p = uniquePrefix();
    });
    afterEach(async () => {
      await bus.close();
    });
    if (cleanup) afterAll(cleanup);

    it("carries its deployment's names (`bus.subjects`; a bus made without a prefix: stator)", () => {
      expect(bus.subjects.prefix).toBe('stator');
      expect(bus.subjects.apiSubject('health')).toBe('stator.api.health');
    });

    it('delivers on an exact subject, and only there', async () => {
      const a = collect(bus, `${p}.a`);
      await bus.flush();
      bus.publish(`${p}.b`, { x: 0 });
      bus.publish(`${p}.a`, { x: 1 });
      bus.publish(`${p}.a.b`, { x: 2 });
      await barrier(bus, p);
      expect(a.msgs.map((m) => m.json())).toEqual([{ x: 1 }]);
      expect(a.msgs[0]!.subject).toBe(`${p}.a`);
      expect(a.msgs[0]!.reply).toBeUndefined();
      expect(a.sub.received).toBe(1);
      expect(a.sub.subject).toBe(`${p}.a`);
    });

    it("'*' matches exactly one token", async () => {
      const c = collect(bus, `${p}.*.out`);
      await bus.flush();
      for (const s of ['a.out', 'b.out', 'a.in', 'a.b.out', 'out']) bus.publish(`${p}.${s}`, s);
      await barrier(bus, p);
      expect(c.msgs.map((m) => m.subject)).toEqual([`${p}.a.out`, `${p}.b.out`]);
    });

    it("'>' matches one or more trailing tokens", async () => {
      const c = collect(bus, `${p}.x.>`);
      await bus.flush();
      for (const s of ['x', 'x.a', 'x.a.b.c', 'y.a']) bus.publish(`${p}.${s}`, s);
      await barrier(bus, p);
      expect(c.msgs.map((m) => m.json())).toEqual(['x.a', 'x.a.b.c']);
    });

    it('keeps subscriptions apart (no cross-talk)', async () => {
      const subjects = ['one', 'two', 'three'].map((s) => `${p}.${s}`);
      const cs = subjects.map((s) => collect(bus, s));
      await bus.flush();
      for (let i = 0; i < 30; i++) bus.publish(subjects[i % 3]!, { i });
      await barrier(bus, p);
      cs.forEach((c, k) => {
        expect(c.msgs.map((m) => m.subject)).toEqual(Array(10).fill(subjects[k]));
        expect(c.msgs.map((m) => m.json<{ i: number }>().i % 3)).toEqual(Array(10).fill(k));
      });
    });

    it('gives each message to exactly one member of a queue group; plain subscribers get all', async () => {
      const members = [0, 1, 2].map(() => collect(bus, `${p}.work`, { queue: 'g' }));
      const other = collect(bus, `${p}.work`, { queue: 'h' });
      const plain = collect(bus, `${p}.*`);
      await bus.flush();
      const n = 300;
      for (let i = 0; i < n; i++) bus.publish(`${p}.work`, { i });
      await barrier(bus, p);
      const ids = members.flatMap((m) => m.msgs.map((x) => x.json<{ i: number }>().i));
      expect(ids.sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
      for (const m of members) expect(m.msgs.length).toBeGreaterThan(0);
      expect(other.msgs).toHaveLength(n);
      expect(plain.msgs).toHaveLength(n);
    });

    it('answers a request with the reply of a responder', async () => {
      bus.subscribe(`${p}.echo`, (m) => {
        expect(m.reply).toBeTruthy();
        m.respond({ echo: m.json(), subject: m.subject });
      });
      await bus.flush();
      const reply = await bus.request(`${p}.echo`, { hello: 'world' }, { timeoutMs: 10_000 });
      expect(reply.json()).toEqual({ echo: { hello: 'world' }, subject: `${p}.echo` });
    });

    it('matches concurrent requests with their own replies', async () => {
      bus.subscribe(`${p}.double`, (m) => m.respond(m.json<number>() * 2), { queue: 'svc' });
      bus.subscribe(`${p}.double`, (m) => m.respond(m.json<number>() * 2), { queue: 'svc' });
      await bus.flush();
      const replies = await Promise.all(
        [...Array(50).keys()].map((i) => bus.request(`${p}.double`, i, { timeoutMs: 10_000 })),
      );
      expect(replies.map((r) => r.json())).toEqual([...Array(50).keys()].map((i) => i * 2));
    });

    it('passes a reply subject through publish, and respond() returns false without one', async () => {
      const got = latch(2);
      const seen: BusMessage[] = [];
      bus.subscribe(`${p}.in`, (m) => {
        seen.push(m);
        got.countDown();
      });
      const answers = collect(bus, `${p}.answers`);
      await bus.flush();
      bus.publish(`${p}.in`, 1, { reply: `${p}.answers` });
      bus.publish(`${p}.in`, 2);
      await got.wait();
      expect(seen[0]!.reply).toBe(`${p}.answers`);
      expect(seen[0]!.respond('ok')).toBe(true);
      expect(seen[1]!.reply).toBeUndefined();
      expect(seen[1]!.respond('lost')).toBe(false);
      await barrier(bus, p);
      expect(answers.msgs.map((m) => m.json())).toEqual(['ok']);
    });

    it("rejects with TimeoutError (code 'timeout') when nobody answers in time", async () => {
      const silent = collect(bus, `${p}.silent`);
      await bus.flush();
      const err = await rejection(bus.request(`${p}.silent`, {}, { timeoutMs: 300 }));
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as TimeoutError).code).toBe('timeout');
      expect(silent.msgs).toHaveLength(1);
    });

    it("rejects with NoRespondersError (code 'no_responders') when nobody listens", async () => {
      const started = Date.now();
      const err = await rejection(bus.request(`${p}.nobody`, {}, { timeoutMs: 15_000 }));
      expect(err).toBeInstanceOf(NoRespondersError);
      expect((err as NoRespondersError).code).toBe('no_responders');
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('unsubscribes itself after max messages', async () => {
      const c = collect(bus, `${p}.m`, { max: 3 });
      await bus.flush();
      for (let i = 0; i < 10; i++) bus.publish(`${p}.m`, i);
      await barrier(bus, p);
      expect(c.msgs.map((m) => m.json())).toEqual([0, 1, 2]);
      expect(c.sub.received).toBe(3);
    });

    it('stops delivery on unsubscribe (idempotent)', async () => {
      const c = collect(bus, `${p}.u`);
      await bus.flush();
      bus.publish(`${p}.u`, 'first');
      await waitFor(() => c.msgs.length === 1);
      c.sub.unsubscribe();
      c.sub.unsubscribe();
      for (let i = 0; i < 5; i++) bus.publish(`${p}.u`, 'later');
      await barrier(bus, p);
      expect(c.msgs.map((m) => m.json())).toEqual(['first']);
    });

    it('drains: requests already on their way are answered, then nothing new arrives', async () => {
      const sub = bus.subscribe(`${p}.d`, (m) => void m.respond('yes'));
      await bus.flush();
      const asked = Array.from({ length: 20 }, () =>
        bus.request(`${p}.d`, {}, { timeoutMs: 5000 }),
      );
      await sub.drain!();
      for (const reply of await Promise.all(asked)) expect(reply.json()).toBe('yes');
      const err = await rejection(bus.request(`${p}.d`, {}, { timeoutMs: 5000 }));
      expect((err as NoRespondersError).code).toBe('no_responders');
    });

    it('delivers in publish order to every subscriber (1000 messages)', async () => {
      const exact = collect(bus, `${p}.seq`);
      const wild = collect(bus, `${p}.>`);
      await bus.flush();
      const n = 1000;
      for (let i = 0; i < n; i++) bus.publish(`${p}.seq`, i);
      await waitFor(() => exact.msgs.length >= n && wild.msgs.length >= n, { timeoutMs: 15_000 });
      expect(exact.msgs.map((m) => m.json())).toEqual([...Array(n).keys()]);
      expect(wild.msgs.map((m) => m.json())).toEqual([...Array(n).keys()]);
    });

    it('isolates a handler that throws: counted, others unaffected, it keeps receiving', async () => {
      let thrown = 0;
      bus.subscribe(`${p}.boom`, () => {
        thrown++;
        throw new Error('handler failure');
      });
      bus.subscribe(`${p}.boom`, async () => {
        throw new Error('async handler failure');
      });
      const ok = collect(bus, `${p}.boom`);
      await bus.flush();
      for (let i = 0; i < 5; i++) bus.publish(`${p}.boom`, i);
      await barrier(bus, p);
      expect(ok.msgs.map((m) => m.json())).toEqual([0, 1, 2, 3, 4]);
      expect(thrown).toBe(5);
      await waitFor(() => bus.stats().handlerErrors === 10);
    });

    it("throws code 'malformed_json' from json() on bad JSON; string() still works", async () => {
      const c = collect(bus, `${p}.bad`);
      await bus.flush();
      bus.publish(`${p}.bad`, new TextEncoder().encode('{"unterminated'));
      await waitFor(() => c.msgs.length === 1);
      const err = caught(() => c.msgs[0]!.json());
      expect(err).toBeInstanceOf(MalformedPayloadError);
      expect(err.code).toBe('malformed_json');
      expect(c.msgs[0]!.string()).toBe('{"unterminated');
    });

    it('passes binary payloads through; the publisher may reuse its buffer', async () => {
      const c = collect(bus, `${p}.bin`);
      await bus.flush();
      const bytes = new Uint8Array([0, 1, 2, 127, 128, 254, 255]);
      bus.publish(`${p}.bin`, bytes);
      bytes.fill(9);
      await waitFor(() => c.msgs.length === 1);
      expect(Array.from(c.msgs[0]!.data)).toEqual([0, 1, 2, 127, 128, 254, 255]);
    });

    it('sends undefined as empty bytes that decode to undefined; each json() is a fresh copy', async () => {
      const c = collect(bus, `${p}.e`);
      await bus.flush();
      bus.publish(`${p}.e`);
      bus.publish(`${p}.e`, { nested: { n: 1 } });
      await waitFor(() => c.msgs.length === 2);
      expect(c.msgs[0]!.data).toHaveLength(0);
      expect(c.msgs[0]!.json()).toBeUndefined();
      const first = c.msgs[1]!.json<{ nested: { n: number } }>();
      first.nested.n = 99;
      expect(c.msgs[1]!.json()).toEqual({ nested: { n: 1 } });
      expect(c.msgs[1]!.string()).toBe('{"nested":{"n":1}}');
    });

    it("rejects malformed subjects and patterns with code 'invalid_argument'", async () => {
      for (const s of ['', 'a..b', '.a', 'a.', 'a b', 'a.*', 'a.>']) {
        expect(caught(() => bus.publish(s, 1)).code, s).toBe('invalid_argument');
      }
      for (const s of ['', 'a..b', 'a.>.b', 'a.b*', 'a b']) {
        expect(caught(() => bus.subscribe(s, () => {})).code, s).toBe('invalid_argument');
      }
      const err = await rejection(bus.request('a.*', 1));
      expect(err.code).toBe('invalid_argument');
    });

    it('counts published and delivered messages', async () => {
      const c = collect(bus, `${p}.count`);
      await bus.flush();
      const before = bus.stats();
      for (let i = 0; i < 7; i++) bus.publish(`${p}.count`, i);
      await waitFor(() => c.msgs.length === 7);
      const after = bus.stats();
      expect(after.published - before.published).toBe(7);
      expect(after.delivered - before.delivered).toBe(7);
      expect(after.handlerErrors).toBe(0);
    });

    it('delivers what was published before close, then refuses everything', async () => {
      const c = collect(bus, `${p}.last`);
      await bus.flush();
      for (let i = 0; i < 10; i++) bus.publish(`${p}.last`, i);
      await bus.close();
      expect(c.msgs).toHaveLength(10);
      expect(caught(() => bus.publish(`${p}.last`, 1)).code).toBe('unavailable');
      expect(caught(() => bus.subscribe(`${p}.last`, () => {})).code).toBe('unavailable');
      const err = await rejection(bus.request(`${p}.last`, 1));
      expect(err.code).toBe('unavailable');
      await expect(bus.close()).resolves.toBeUndefined();
    });
  });
}

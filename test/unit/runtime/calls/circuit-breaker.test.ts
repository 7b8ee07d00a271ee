/**
 * The per-host circuit breaker of http steps against a real node:http server on 127.0.0.1: it
 * opens after N consecutive failures (5xx and refused connections), then fails calls fast
 * without a request for the cool-down (time from a hand-driven clock), lets one trial through
 * (others still fail fast), closes on its success and opens again on its failure. Other hosts
 * and 4xx replies are unaffected; a cancelled call counts for nothing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CircuitBreakers,
  resolveCircuitBreakerOptions,
  type CircuitChange,
} from '../../../../src/runtime/calls/index.ts';
import { runHttpCall } from '../../../../src/runtime/calls/http-call.ts';
import type { HttpCall } from '../../../../src/workflow/index.ts';

let server: Server;
let base = '';
let hits = 0;
let status = 500;
let release: (() => void) | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    const reply = () => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status }));
    };
    if (req.url === '/slow') release = reply;
    else reply();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('http circuit breaker', () => {
  let now: number;
  let breakers: CircuitBreakers;
  let changes: CircuitChange[];
  const call = (url: string): HttpCall => ({
    method: 'GET',
    url,
    headers: {},
    expect: [[200, 299]],
    maxRedirects: 5,
  });
  const send = (url = `${base}/x`, signal = new AbortController().signal) =>
    runHttpCall(call(url), {
      signal,
      log: () => undefined,
      breakers,
      onCircuit: (c) => changes.push(c),
    });

  beforeEach(() => {
    now = 1_000_000;
    hits = 0;
    status = 500;
    changes = [];
    breakers = new CircuitBreakers(
      { now: () => now },
      resolveCircuitBreakerOptions({ failures: 3, coolDownMs: 30_000 }),
    );
  });

  it('opens after N failures in a row, fails fast for the cool-down, then closes on a good trial', async () => {
    for (let i = 0; i < 3; i++) expect((await send()).ok).toBe(false);
    expect(hits).toBe(3);
    expect(changes).toEqual([{ type: 'opened', host: base, failures: 3, until: now + 30_000 }]);
    // Open: no request reaches the server, the error says why and until when.
    const fast = await send();
    expect(fast.ok).toBe(false);
    expect(fast.nonRetryable).toBeUndefined();
    expect(fast.error).toMatch(
      /^circuit_open: http: http:\/\/127\.0\.0\.1:\d+ failed 3 times in a row/,
    );
    expect(hits).toBe(3);
    now += 29_999;
    await send();
    expect(hits).toBe(3);
    // Cool-down over: one trial goes through; the host is back.
    now += 1;
    status = 200;
    expect((await send()).ok).toBe(true);
    expect(hits).toBe(4);
    expect(changes.at(-1)).toEqual({ type: 'closed', host: base });
    expect(breakers.openHosts()).toEqual([]);
    expect((await send()).ok).toBe(true);
    expect(hits).toBe(5);
  });

  it('a failed trial opens it again for another cool-down; one trial at a time', async () => {
    for (let i = 0; i < 3; i++) await send();
    now += 30_000;
    const slow = send(`${base}/slow`);
    await new Promise<void>((r) => {
      const wait = () => (release ? r() : setTimeout(wait, 5));
      wait();
    });
    // While the trial is in flight, others still fail fast.
    expect((await send()).error).toMatch(/^circuit_open/);
    release!();
    release = undefined;
    expect((await slow).ok).toBe(false);
    expect(changes.map((c) => c.type)).toEqual(['opened', 'opened']);
    expect(changes[1]).toMatchObject({ until: now + 30_000 });
    const before = hits;
    expect((await send()).error).toMatch(/^circuit_open/);
    expect(hits).toBe(before);
  });

  it('counts refused connections, not 4xx replies, and keeps hosts apart', async () => {
    const dead = 'http://127.0.0.1:1'; // nothing listens there
    for (let i = 0; i < 3; i++) await send(`${dead}/x`);
    expect(breakers.openHosts()).toEqual([dead]);
    status = 404;
    for (let i = 0; i < 5; i++) await send();
    expect(hits).toBe(5);
    expect(breakers.openHosts()).toEqual([dead]);
    // A success resets the count: failures must be consecutive.
    status = 500;
    await send();
    await send();
    status = 200;
    await send();
    status = 500;
    await send();
    await send();
    expect(breakers.openHosts()).toEqual([dead]);
  });

  it('a call cancelled by its step counts for nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    for (let i = 0; i < 5; i++)
      expect((await send(`${base}/x`, ac.signal)).error).toBe('cancelled');
    expect(breakers.openHosts()).toEqual([]);
  });

  it('failures: 0 turns breakers off; bad settings are refused by field', async () => {
    breakers = new CircuitBreakers(
      { now: () => now },
      resolveCircuitBreakerOptions({ failures: 0 }),
    );
    for (let i = 0; i < 10; i++) await send();
    expect(hits).toBe(10);
    expect(changes).toEqual([]);
    expect(() => resolveCircuitBreakerOptions({ coolDownMs: 0 })).toThrow(/coolDownMs/);
    expect(() => resolveCircuitBreakerOptions({ failures: -1 })).toThrow(/failures/);
  });
});

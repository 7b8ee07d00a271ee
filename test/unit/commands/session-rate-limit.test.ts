/**
 * The rate limiter in the command layer: `dispatch` admits state-changing commands through the
 * caller's bucket and the target session's, never limits reads, counts refusals in
 * `stator_rate_limit_hits_total`, and takes its limits from the service options (and from
 * STATOR_RATE_LIMIT / STATOR_RATE_BURST). Time is a simulated clock; sessions are only created
 * (no process is started).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { createStator, type Stator } from '../../../src/index.ts';
import { dispatch } from '../../../src/commands/index.ts';
import { resolveConfig, statorOptionsFromConfig } from '../../../src/config.ts';
import { RateLimitedError } from '../../../src/errors.ts';
import { parsePrometheusText } from '../../helpers/prometheus-text.ts';
import { rejection } from '../../helpers/poll.ts';

let clock: SimulatedClock;
let stator: Stator;

beforeEach(async () => {
  clock = new SimulatedClock();
  clock.set(Date.parse('2030-01-01T00:00:00Z'));
  stator = await createStator({
    store: 'memory',
    clock,
    rateLimit: { ratePerSecond: 1, burst: 2 },
    shutdownGraceMs: 0,
  });
});

afterEach(async () => {
  await stator?.close();
});

const create = (name: string, client?: string) =>
  dispatch(stator, 'session.create', { name, command: ['cat'] }, client ? { client } : {});
const prefer = (id: string, value: number, client?: string) =>
  dispatch(stator, 'session.set-preference', { id, key: 'n', value }, client ? { client } : {});

async function hits(): Promise<number> {
  const text = parsePrometheusText(await stator.metrics());
  return text.value('stator_rate_limit_hits_total', { scope: 'command' }) ?? 0;
}

describe('rate limits in dispatch', () => {
  it('limits each client to its burst, then to the rate', async () => {
    await create('a1', 'a');
    await create('a2', 'a');
    const refused = await rejection(create('a3', 'a'));
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect(refused).toMatchObject({ code: 'rate_limited', details: { retryAfterMs: 1000 } });
    await create('b1', 'b'); // another client has its own bucket

    clock.increment(400);
    expect(await rejection(create('a3', 'a'))).toMatchObject({ details: { retryAfterMs: 600 } });
    clock.increment(600);
    await create('a3', 'a');
    expect((await dispatch(stator, 'session.list', {})).items).toHaveLength(4);
  });

  it('limits each session across clients, and leaves the other sessions alone', async () => {
    const s1 = await create('s1');
    const s2 = await create('s2');
    await prefer(s1.id, 1, 'c');
    await prefer(s1.id, 2, 'd');
    // s1's bucket is empty: whoever asks is refused, and pays nothing for it.
    expect(await rejection(prefer(s1.id, 3, 'e'))).toBeInstanceOf(RateLimitedError);
    expect(await rejection(prefer(s1.id, 3))).toBeInstanceOf(RateLimitedError);
    expect((await prefer(s2.id, 1, 'e')).definition.preferences).toEqual({ n: 1 });
    expect((await prefer(s2.id, 2, 'e')).definition.preferences).toEqual({ n: 2 });
    expect((await dispatch(stator, 'session.get', { id: s1.id })).definition.preferences).toEqual({
      n: 2,
    });
  });

  it('never limits reads, and counts every refusal in the metrics', async () => {
    await create('r1', 'r');
    await create('r2', 'r');
    const before = await hits();
    for (let i = 0; i < 3; i++) await rejection(create('r3', 'r'));
    for (let i = 0; i < 30; i++) await dispatch(stator, 'session.list', {}, { client: 'r' });
    await dispatch(stator, 'health', {}, { client: 'r' });
    expect((await hits()) - before).toBe(3);
  });

  it('validates before it limits: a bad command costs no token', async () => {
    for (let i = 0; i < 5; i++) {
      expect(await rejection(create('', 'v'))).toMatchObject({ code: 'invalid_argument' });
    }
    await create('v1', 'v');
    await create('v2', 'v');
  });
});

describe('rate limit settings', () => {
  it('come from STATOR_RATE_LIMIT and STATOR_RATE_BURST', () => {
    const config = resolveConfig({ env: { STATOR_RATE_LIMIT: '2.5', STATOR_RATE_BURST: '7' } });
    expect(statorOptionsFromConfig(config).rateLimit).toEqual({ ratePerSecond: 2.5, burst: 7 });
    expect(statorOptionsFromConfig(resolveConfig({ env: {} })).rateLimit).toBeUndefined();
    expect(() => resolveConfig({ env: { STATOR_RATE_BURST: '0' } })).toThrow(/STATOR_RATE_BURST/);
    expect(() => resolveConfig({ flags: { 'rate-limit': '-1' }, env: {} })).toThrow(/--rate-limit/);
  });

  it('turn the limiter off with a rate of 0', async () => {
    const open = await createStator({ store: 'memory', rateLimit: { ratePerSecond: 0 } });
    try {
      for (let i = 0; i < 30; i++)
        await dispatch(
          open,
          'session.create',
          { name: `x${i}`, command: ['cat'] },
          { client: 'z' },
        );
    } finally {
      await open.close();
    }
  });

  it('refuses bad limits when the service is created', async () => {
    const err = await rejection(createStator({ store: 'memory', rateLimit: { burst: 0 } }));
    expect(err).toMatchObject({ code: 'invalid_argument' });
    expect(err.message).toMatch(/rateLimit.burst/);
  });
});

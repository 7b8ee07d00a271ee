import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from '../../../src/host/index.ts';
import type { HostClient } from '../../../src/host/index.ts';
import { hostFixture, type HostFixture } from './host-fixture.ts';
import { raw } from './raw-client.ts';

describe('process host protocol: refusals', () => {
  let fx: HostFixture;
  let client: HostClient;
  beforeAll(async () => {
    fx = hostFixture();
    client = await fx.connect();
  });
  afterAll(async () => {
    // The host survived everything: it still answers a proper client.
    expect(await client.list()).toEqual([]);
    await fx.cleanup();
  });
  const socketPath = () => client.paths.socketPath;

  it('answers a hello with its version and pid', async () => {
    const c = await raw(socketPath());
    c.hello();
    expect(await c.message(0)).toMatchObject({
      type: 'hello',
      version: PROTOCOL_VERSION,
      hostPid: client.hostPid,
    });
    c.destroy();
  });

  it('refuses another protocol version with a clear error, then closes', async () => {
    const c = await raw(socketPath());
    c.hello(PROTOCOL_VERSION + 1);
    const msg = await c.message(0);
    expect(msg).toMatchObject({
      type: 'error',
      error: {
        code: 'conflict',
        details: { expected: PROTOCOL_VERSION, received: PROTOCOL_VERSION + 1 },
      },
    });
    expect((msg.error as { message: string }).message).toMatch(
      /protocol version 2 .*speaks version 1/,
    );
    await c.closed;
  });

  it.each([
    ['junk text', 'hello world\n', 'malformed_json'],
    ['binary garbage', Buffer.concat([randomBytes(4096), Buffer.from('\n')]), 'malformed_json'],
    [
      'a request before the hello',
      `${JSON.stringify({ id: 1, op: 'list' })}\n`,
      'invalid_argument',
    ],
    ['JSON that is no hello', '[1,2,3]\n', 'invalid_argument'],
  ])('refuses %s and closes the connection', async (_what, line, code) => {
    const c = await raw(socketPath());
    c.send(line);
    expect(await c.message(0)).toMatchObject({ type: 'error', error: { code } });
    await c.closed;
  });

  it('refuses a line longer than the bound without buffering it all', async () => {
    const c = await raw(socketPath());
    c.hello();
    await c.message(0);
    const chunk = Buffer.alloc(256 * 1024, 0x61); // no newline at all
    for (let sent = 0; sent <= MAX_MESSAGE_BYTES; sent += chunk.length) c.send(chunk);
    expect(await c.message(1)).toMatchObject({
      type: 'error',
      error: { code: 'invalid_argument', message: expect.stringMatching(/too large/) },
    });
    await c.closed;
  });

  it('answers a bad request that has an id with an error reply and keeps the connection', async () => {
    const c = await raw(socketPath());
    c.hello();
    await c.message(0);
    c.send(`${JSON.stringify({ id: 7, op: 'spawn', spec: { key: 'k', argv: [] } })}\n`);
    c.send(`${JSON.stringify({ id: 8, op: 'nope' })}\n`);
    c.send(`${JSON.stringify({ id: 9, op: 'release', key: 'unknown' })}\n`);
    c.send(`${JSON.stringify({ id: 10, op: 'list' })}\n`);
    const replies = await Promise.all([1, 2, 3, 4].map((n) => c.message(n)));
    expect(replies[0]).toMatchObject({
      type: 'reply',
      id: 7,
      ok: false,
      error: { code: 'invalid_argument' },
    });
    expect((replies[0]?.error as { message: string }).message).toMatch(/cwd|argv|env/);
    expect(replies[1]).toMatchObject({ id: 8, ok: false, error: { code: 'invalid_argument' } });
    expect(replies[2]).toMatchObject({ id: 9, ok: false, error: { code: 'not_found' } });
    expect(replies[3]).toMatchObject({ id: 10, ok: true, result: { processes: [] } });
    c.destroy();
  });

  it('closes on a request without a usable id', async () => {
    const c = await raw(socketPath());
    c.hello();
    await c.message(0);
    c.send(`${JSON.stringify({ op: 'list' })}\n`);
    expect(await c.message(1)).toMatchObject({
      type: 'error',
      error: { code: 'invalid_argument' },
    });
    await c.closed;
  });

  it('rejects a bad spawn spec by field through the client, as a StatorError', async () => {
    const spawn = client.spawn({ key: 'has space', argv: ['true'], cwd: 'relative', env: {} });
    await expect(spawn).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(/key: .*printable/),
      details: { issues: expect.arrayContaining([expect.objectContaining({ path: 'spec.cwd' })]) },
    });
  });
});

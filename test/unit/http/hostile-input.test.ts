/**
 * Hostile input at the HTTP edge, route by route: the reported cases (deep YAML to
 * `POST /api/sessions`, deep JSON to `/hooks/*`, alias bombs) answer 400 `input_bounds` naming
 * the bound instead of 500 or a crash; and on the real socket server, what Node refuses before
 * the app (oversized headers, unknown methods, a missing or bad Host) gets structured errors
 * too, and HEAD answers where Hono's own HEAD failed with 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { createStator, type Stator } from '../../../src/index.ts';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../../src/http/index.ts';
import { rawRequest } from '../../fuzz/raw-http.ts';

let stator: Stator;
let app: Hono;
let server: HttpServerHandle;

beforeAll(async () => {
  stator = await createStator({ store: 'memory', node: 'hostile', shutdownGraceMs: 0 });
  await stator.registerWorkflow({
    id: 'hooked',
    triggers: [{ http: { path: 'hooked' } }],
    steps: [{ id: 'a', noop: true }],
  });
  app = createHttpApp({ stator });
  server = await startHttpServer({ app, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await stator?.close();
});

async function expectBound(res: Response, bound: string, limit: number): Promise<void> {
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({
    error: { code: 'input_bounds', details: { bound, limit }, recoverable: false },
  });
}

const post = (path: string, body: string, type?: string) =>
  app.request(path, {
    method: 'POST',
    body,
    headers: type === undefined ? {} : { 'content-type': type },
  });

describe('bodies past the input bounds, in-process', () => {
  it('refuses nested `[` YAML sent to POST /api/sessions (the reported crash) with 400', async () => {
    for (const type of ['application/yaml', 'text/plain', undefined]) {
      await expectBound(await post('/api/sessions', '['.repeat(2048), type), 'depth', 64);
    }
    await expectBound(
      await post('/api/workflows', `a:\n  ${'- '.repeat(3000)}x`, 'text/yaml'),
      'depth',
      64,
    );
  });

  it('refuses deeply nested JSON on /hooks/* with 400, not 500, and starts nothing', async () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    await expectBound(await post('/hooks/hooked', deep, 'application/json'), 'depth', 64);
    await expectBound(await post('/hooks/hooked', `{"a":${deep}}`), 'depth', 64);
    expect((await stator.listExecutions({ workflowId: 'hooked' })).items).toHaveLength(0);
    expect((await post('/hooks/hooked', '{"a": [[1]]}', 'application/json')).status).toBe(202);
  });

  it('refuses YAML alias bombs with 400 naming the alias bound', async () => {
    const lines = ['name: x', 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(',')}]`,
      );
    await expectBound(
      await post('/api/sessions', lines.join('\n'), 'application/yaml'),
      'aliases',
      100,
    );
    await expectBound(
      await post('/api/workflows', lines.join('\n'), 'application/yaml'),
      'aliases',
      100,
    );
  });

  it('refuses JSON bodies past the depth, key and string bounds on every JSON route', async () => {
    const deep = `{"input": ${'['.repeat(70)}${']'.repeat(70)}}`;
    await expectBound(
      await post('/api/workflows/hooked/execute', deep, 'application/json'),
      'depth',
      64,
    );
    const long = JSON.stringify({ text: 'x'.repeat(262_145) });
    await expectBound(
      await app.request('/api/sessions/nope/input', { method: 'POST', body: long }),
      'string_length',
      262_144,
    );
    const wide = `[${Array(250_001).fill(0).join(',')}]`;
    await expectBound(await post('/api/workflows', wide, 'application/json'), 'entries', 250_000);
  });

  it('answers GET /ws without an upgrade with a structured 426', async () => {
    const res = await app.request('/ws');
    expect(res.status).toBe(426);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_argument' } });
  });
});

describe('requests refused before the app, on the socket', () => {
  const raw = (text: string) => rawRequest(server.port, text);

  it('answers headers past 16 KiB with a structured 431', async () => {
    const answer = await raw(
      `GET /health HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(17_000)}\r\n\r\n`,
    );
    expect(answer.status).toBe(431);
    expect(answer.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body)).toEqual({
      error: {
        code: 'input_bounds',
        message: 'request headers exceed 16384 bytes',
        details: { bound: 'header_bytes', limit: 16_384 },
        recoverable: false,
      },
    });
  });

  it('answers an unknown method, a missing Host and a bad Host with a structured 400', async () => {
    const requests = [
      'FUZZ /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n',
      'GET /health HTTP/1.1\r\nHost: bad host\r\nConnection: close\r\n\r\n',
    ];
    for (const request of requests) {
      const answer = await raw(request);
      expect(answer.status, request).toBe(400);
      expect(JSON.parse(answer.body), request).toMatchObject({
        error: { code: 'invalid_argument' },
      });
    }
    // HTTP/1.0 needs no Host.
    expect((await raw('GET /health HTTP/1.0\r\n\r\n')).status).toBe(200);
  });

  it('answers HEAD on routes that answer text (Hono alone answered 500)', async () => {
    const { executionId } = await stator.execute('hooked', {});
    await stator.waitForExecution(executionId, { timeoutMs: 10_000 });
    for (const path of [
      `/api/executions/${executionId}/logs`,
      '/api/machines/step?format=mermaid',
      '/health',
    ]) {
      const res = await fetch(server.url + path, { method: 'HEAD' });
      expect(res.status, path).toBe(200);
      expect(await res.text()).toBe('');
    }
    const missing = await fetch(`${server.url}/api/executions/nope`, { method: 'HEAD' });
    expect(missing.status).toBe(404);
  });
});

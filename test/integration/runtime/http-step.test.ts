/**
 * `http` steps against a real node:http server on 127.0.0.1 (random port), with a SQLite store:
 * a JSON reply becomes outputs that reach a later exec step (STEPS_<ID>_<KEY> and argv templates)
 * and a later http body; statuses are checked against `expect`; a 500 is retried by the step's
 * policy; the request timeout and the step timeout abort the request (the server sees its
 * connection closed); hostile servers: a reply over 1 MiB is refused without retry, a server that
 * never answers, endless redirects. A secret in a header and the URL never reaches the logs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

const SECRET = 'sekr1t-token-4bf2a9';

interface Seen {
  method: string;
  url: string;
  auth?: string;
  body: string;
}

let server: Server;
let base = '';
const seen: Seen[] = [];
const flaky = new Map<string, number>();
let closedEarly = 0;
let other: Server;
let otherBase = '';
const otherSeen: Array<{ auth?: string; body: string; method?: string }> = [];

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', base);
  seen.push({
    method: req.method ?? '',
    url: url.pathname + url.search,
    ...(req.headers.authorization !== undefined && { auth: req.headers.authorization }),
    body,
  });
  const json = (status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  const [, route, arg] = url.pathname.split('/');
  switch (route) {
    case 'json':
      return json(200, { version: '1.2.3', count: 3, tags: ['a', 'b'] });
    case 'text':
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end('plain words');
    case 'status':
      return json(Number(arg), { status: Number(arg) });
    case 'echo':
      return json(200, { method: req.method, got: body === '' ? null : JSON.parse(body) });
    case 'flaky': {
      const n = (flaky.get(arg!) ?? 0) + 1;
      flaky.set(arg!, n);
      return n < 3 ? json(500, { error: 'try again' }) : json(200, { tries: n });
    }
    case 'silent':
      // Never answers; counts connections the client closes (an aborted request).
      req.socket.on('close', () => closedEarly++);
      return;
    case 'hang-once': {
      // The first request of a key never answers; later ones do.
      const n = (flaky.get(arg!) ?? 0) + 1;
      flaky.set(arg!, n);
      return n === 1 ? undefined : json(200, { tries: n });
    }
    case 'huge': {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 40; i++) res.write(chunk); // 2.5 MiB, no content-length
      return void res.end();
    }
    case 'elsewhere':
      // To the other server (another origin): credentials must not follow.
      res.writeHead(307, { location: `${otherBase}/seen` });
      return void res.end();
    case 'redirect':
      res.writeHead(302, { location: `/redirect/${Number(arg) + 1}` });
      return void res.end();
    default:
      res.writeHead(404);
      return void res.end();
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  other = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      otherSeen.push({ auth: req.headers.authorization, body, method: req.method });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"from":"other"}');
    });
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  process.env.STEPKINDS_TEST_TOKEN = SECRET;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => other.close(() => resolve()));
  delete process.env.STEPKINDS_TEST_TOKEN;
});

beforeEach(() => {
  seen.length = 0;
});

describe('http steps', () => {
  const t = useStator({ start: 'suite' });
  const run = async (steps: unknown[], extra: Record<string, unknown> = {}, input = {}) => {
    const id = `h${Math.random().toString(36).slice(2, 10)}`;
    await t.stator.registerWorkflow({ id, steps, ...extra });
    return t.run(id, input, 20_000);
  };

  it('hands a JSON reply on as outputs: env, argv and a later http body', async () => {
    const { record } = await run([
      { id: 'a', run: 'echo "version=9.9.9" >> "$STATOR_OUTPUT"' },
      { id: 'call', needs: ['a'], http: { url: `${base}/json` } },
      {
        id: 'post',
        needs: ['call'],
        http: {
          method: 'POST',
          url: `${base}/echo`,
          body: { v: '${{ steps.a.outputs.version }}', tags: '${{ steps.call.outputs.tags }}' },
        },
      },
      {
        id: 'show',
        needs: ['post'],
        exec: [
          'sh',
          '-c',
          'echo "env=$STEPS_CALL_VERSION count=$STEPS_CALL_COUNT arg=$1"',
          'sh',
          '${{ steps.call.outputs.version }}',
        ],
      },
    ]);
    expect(record.status).toBe('completed');
    const step = (id: string) => record.steps.find((s) => s.id === id)!;
    expect(step('call').outputs).toEqual({ version: '1.2.3', count: 3, tags: ['a', 'b'] });
    expect(step('post').outputs).toEqual({
      method: 'POST',
      got: { v: '9.9.9', tags: ['a', 'b'] },
    });
    expect(seen.find((s) => s.url === '/echo')!.body).toBe('{"v":"9.9.9","tags":["a","b"]}');
    const logs = await t.stator.logs(record.id);
    expect(logs).toContain('env=1.2.3 count=3 arg=1.2.3');
    expect(logs).toMatch(/http: GET http:\/\/127\.0\.0\.1:\d+\/json/);
    expect(logs).toMatch(/http: 200 OK \(\d+ ms, \d+ bytes\)/);
  });

  it('takes a reply that is not JSON as outputs.body', async () => {
    const { record } = await run([{ id: 't', http: { url: `${base}/text` } }]);
    expect(record.steps[0]).toMatchObject({
      status: 'succeeded',
      outputs: { body: 'plain words' },
    });
  });

  it('checks the status against expect (default 2xx)', async () => {
    const ok = await run([{ id: 's', http: { url: `${base}/status/404`, expect: [404, '5xx'] } }]);
    expect(ok.record.status).toBe('completed');
    const bad = await run([{ id: 's', http: { url: `${base}/status/404` } }]);
    expect(bad.record.status).toBe('failed');
    expect(bad.record.steps[0]!.error).toMatch(/answered 404 \(expected 200-299\)/);
  });

  it('retries a 500 by the step retry policy', async () => {
    const key = Math.random().toString(36).slice(2);
    const { record } = await run([
      { id: 'f', retry: { attempts: 3, backoff: '10ms' }, http: { url: `${base}/flaky/${key}` } },
    ]);
    expect(record.status).toBe('completed');
    expect(record.steps[0]).toMatchObject({ attempts: 3, outputs: { tries: 3 } });
    expect(seen.filter((s) => s.url === `/flaky/${key}`)).toHaveLength(3);
  });

  it('aborts the request at the request timeout and at the step timeout', async () => {
    const before = closedEarly;
    const own = await run([{ id: 's', http: { url: `${base}/silent`, timeout: '300ms' } }]);
    expect(own.record.status).toBe('failed');
    expect(own.record.steps[0]!.error).toMatch(/no complete reply within 300 ms/);
    const step = await run([{ id: 's', timeout: '300ms', http: { url: `${base}/silent` } }]);
    expect(step.record.status).toBe('failed');
    expect(step.record.steps[0]).toMatchObject({ status: 'timed_out' });
    // Both requests were abandoned by closing their connections, not left hanging.
    await waitFor(() => closedEarly >= before + 2, { timeoutMs: 5000, message: 'aborted' });
  });

  it('refuses a reply over 1 MiB without retrying it', async () => {
    const { record } = await run([
      { id: 'big', retry: { attempts: 3, backoff: '10ms' }, http: { url: `${base}/huge` } },
    ]);
    expect(record.status).toBe('failed');
    expect(record.steps[0]).toMatchObject({ attempts: 1 });
    expect(record.steps[0]!.error).toMatch(/reply is over 1048576 bytes/);
    expect(record.steps[0]).not.toHaveProperty('outputs');
  });

  it('follows redirects up to maxRedirects', async () => {
    const { record } = await run([
      { id: 'r', http: { url: `${base}/redirect/0`, maxRedirects: 2 } },
    ]);
    expect(record.status).toBe('failed');
    expect(record.steps[0]!.error).toMatch(/more than 2 redirects/);
    expect(seen.map((s) => s.url)).toEqual(['/redirect/0', '/redirect/1', '/redirect/2']);
  });

  it('runs a request cut off by a restart again, as a lost attempt (at least once)', async () => {
    const key = Math.random().toString(36).slice(2);
    const id = `hr${key}`;
    await t.stator.registerWorkflow({
      id,
      steps: [{ id: 'r', http: { url: `${base}/hang-once/${key}` } }],
    });
    const { executionId } = await t.stator.execute(id);
    await waitFor(() => seen.some((s) => s.url === `/hang-once/${key}`), {
      timeoutMs: 10_000,
      message: 'the first request arrived',
    });
    await t.restart();
    const record = await t.finish(executionId, 20_000);
    expect(record.status).toBe('completed');
    expect(record.steps[0]).toMatchObject({ lostAttempts: 1, outputs: { tries: 2 } });
    expect(seen.filter((s) => s.url === `/hang-once/${key}`)).toHaveLength(2);
  });

  it('fails at once when templates make the URL invalid', async () => {
    const { record } = await run(
      [{ id: 'u', retry: 3, http: { url: 'http://${{ inputs.host }}/x' } }],
      {},
      { host: 'bad host' },
    );
    expect(record.status).toBe('failed');
    expect(record.steps[0]).toMatchObject({ attempts: 1 });
    expect(record.steps[0]!.error).toMatch(/'http:\/\/bad host\/x' is not an http\(s\) URL/);
  });

  it('drops credentials on a redirect to another origin', async () => {
    const { record } = await run([
      {
        id: 'x',
        http: {
          method: 'PUT',
          url: `${base}/elsewhere`,
          headers: { Authorization: 'Bearer abc', 'X-Keep': 'yes' },
          body: 'payload',
        },
      },
    ]);
    expect(record.steps[0]).toMatchObject({ status: 'succeeded', outputs: { from: 'other' } });
    expect(seen[0]!.auth).toBe('Bearer abc');
    // 307 keeps the method and body; the other origin gets no Authorization.
    expect(otherSeen.at(-1)).toEqual({ auth: undefined, body: 'payload', method: 'PUT' });
  });

  it('sends a secret but never logs it', async () => {
    const { record } = await run(
      [
        {
          id: 's',
          http: {
            url: `${base}/status/403?t=\${{ env.TOKEN }}`,
            headers: { Authorization: 'Bearer ${{ env.TOKEN }}' },
          },
        },
      ],
      { secrets: { TOKEN: { env: 'STEPKINDS_TEST_TOKEN' } } },
    );
    expect(record.status).toBe('failed');
    expect(seen[0]).toMatchObject({ auth: `Bearer ${SECRET}`, url: `/status/403?t=${SECRET}` });
    const logs = await t.stator.logs(record.id);
    expect(logs).toContain('***');
    expect(logs).not.toContain(SECRET);
    expect(JSON.stringify(await t.stator.getExecution(record.id))).not.toContain(SECRET);
  });
});

/**
 * Generated HTTP input over the real socket server (`startHttpServer()`): `fetch` requests from
 * the same generators as the in-process suite (bodies cut to 16 KiB: a route that does not read
 * its body answers at once, and the adaptor closes the connection when the rest of a large
 * upload does not arrive within 500 ms, which `fetch` reports as a failure of its own; large
 * bodies are the in-process suite's part), and raw requests `fetch` cannot send: unknown methods, headers past the 16 KiB
 * bound, malformed request lines and hosts, broken chunked bodies. Every answer is below 500
 * and every refusal is structured JSON, 431 and Node's parser errors included; afterwards the
 * server still registers and runs a workflow. FUZZ_SOCKET_RUNS (default 700, sent 5 at a time) and
 * FUZZ_RAW_RUNS (default 300) set the counts; FUZZ_SEED replays a run.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../src/http/index.ts';
import { fuzzParams, startFuzzService, type FuzzService } from './fuzz-service.ts';
import { rawRequest, rawRequestArb } from './raw-http.ts';
import { requestArb, type RequestSpec } from './requests.ts';
import { expectStructured, readAnswer, Tally } from './responses.ts';

const SOCKET_RUNS = Number(process.env.FUZZ_SOCKET_RUNS ?? 700);
const RAW_RUNS = Number(process.env.FUZZ_RAW_RUNS ?? 300);
const MAX_UPLOAD = 16 * 1024;
/** Requests in flight at once. */
const BATCH = 5;

let service: FuzzService;
let server: HttpServerHandle;
const tally = new Tally();

beforeAll(async () => {
  service = await startFuzzService();
  server = await startHttpServer({ app: createHttpApp({ stator: service.stator }), port: 0 });
}, 30_000);

afterAll(async () => {
  console.info(`socket HTTP fuzz: ${tally.summary()}`);
  await server?.close();
  await service?.close();
});

/** The RequestInit `fetch` takes for a spec (it sets Content-Length itself). */
function fetchInit(spec: RequestSpec, signal: AbortSignal): RequestInit {
  const { 'content-length': _length, ...headers } = spec.headers;
  const body = spec.body === undefined ? null : spec.body.slice(0, MAX_UPLOAD);
  return { method: spec.method, headers, body, signal };
}

/** Sends one request with `fetch` and checks the answer. */
async function send(spec: RequestSpec): Promise<void> {
  const ac = new AbortController();
  try {
    const answer = await readAnswer(
      await fetch(server.url + spec.path, fetchInit(spec, ac.signal)),
    );
    tally.add(answer.status, Tally.code(answer.body));
    expectStructured(answer, `${spec.method} ${spec.path.slice(0, 200)}`, spec.method === 'HEAD');
  } finally {
    ac.abort(); // ends event streams
  }
}

describe('generated HTTP input, on the socket', () => {
  it(`answers ${SOCKET_RUNS} fetch requests below 500, every refusal structured`, async () => {
    const batches = fc.array(requestArb(service.known), { minLength: BATCH, maxLength: BATCH });
    await fc.assert(
      fc.asyncProperty(batches, async (batch) => {
        await Promise.all(batch.map(send));
      }),
      fuzzParams(SOCKET_RUNS / BATCH),
    );
  }, 120_000);

  it(`answers ${RAW_RUNS} raw requests with structured errors`, async () => {
    await fc.assert(
      fc.asyncProperty(rawRequestArb, async (request) => {
        const answer = await rawRequest(server.port, request);
        tally.add(answer.status, Tally.code(answer.body));
        expectStructured(answer, `raw ${JSON.stringify(request.slice(0, 120))}`);
      }),
      fuzzParams(RAW_RUNS),
    );
  }, 120_000);

  it('answers oversized headers with a structured 431 naming the bound', async () => {
    const big = `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
    const answer = await rawRequest(server.port, big);
    expect(answer.status).toBe(431);
    expect(JSON.parse(answer.body)).toMatchObject({
      error: { code: 'input_bounds', details: { bound: 'header_bytes', limit: 16_384 } },
    });
  });

  it('still registers and runs a workflow afterwards', async () => {
    const id = `fuzz-after-${Date.now()}`;
    const registered = await fetch(`${server.url}/api/workflows`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: `id: ${id}\nsteps:\n  - id: a\n    noop: true\n  - id: b\n    needs: [a]\n    noop: true\n`,
    });
    expect(registered.status).toBe(201);
    const started = await fetch(`${server.url}/api/workflows/${id}/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"input": {}}',
    });
    expect(started.status).toBe(202);
    const { executionId } = (await started.json()) as { executionId: string };
    const record = await service.stator.waitForExecution(executionId, { timeoutMs: 15_000 });
    expect(record.status).toBe('completed');
    expect(tally.total).toBeGreaterThanOrEqual(SOCKET_RUNS + RAW_RUNS);
  }, 30_000);
});

/**
 * Generated HTTP input, in-process (fast-check and `app.request()`): thousands of requests
 * across every route with hostile bodies (deep nesting, YAML alias bombs, huge strings,
 * unicode, bytes), wrong content types, junk paths, methods, query strings and headers. Every
 * answer is below 500 and every refusal is structured JSON with `error.code`; afterwards the
 * service still registers and runs a workflow. FUZZ_HTTP_BATCHES batches of 12 requests
 * (default 500: 6,000 requests) run 12 at a time; FUZZ_SEED replays a run.
 */
import fc from 'fast-check';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/http/index.ts';
import { fuzzParams, startFuzzService, type FuzzService } from './fuzz-service.ts';
import { requestArb, type RequestSpec } from './requests.ts';
import { expectStructured, readAnswer, Tally } from './responses.ts';

const BATCH = 12;
const BATCHES = Number(process.env.FUZZ_HTTP_BATCHES ?? 500);

let service: FuzzService;
let app: Hono;
const tally = new Tally();

beforeAll(async () => {
  service = await startFuzzService();
  app = createHttpApp({ stator: service.stator });
}, 30_000);

afterAll(async () => {
  console.info(`in-process HTTP fuzz: ${tally.summary()}`);
  await service?.close();
});

/** Sends one request and checks the answer. */
async function send(spec: RequestSpec): Promise<void> {
  const ac = new AbortController();
  const init = { method: spec.method, headers: spec.headers, body: spec.body ?? null };
  try {
    const answer = await readAnswer(await app.request(spec.path, { ...init, signal: ac.signal }));
    tally.add(answer.status, Tally.code(answer.body));
    expectStructured(answer, `${spec.method} ${spec.path.slice(0, 200)}`, spec.method === 'HEAD');
  } finally {
    ac.abort(); // ends event streams
  }
}

describe('generated HTTP input, in-process', () => {
  it(`answers ${BATCHES * BATCH} requests below 500, every refusal structured`, async () => {
    const batches = fc.array(requestArb(service.known), { minLength: BATCH, maxLength: BATCH });
    await fc.assert(
      fc.asyncProperty(batches, async (batch) => {
        await Promise.all(batch.map(send));
      }),
      fuzzParams(BATCHES),
    );
    expect(tally.total).toBeGreaterThanOrEqual(BATCHES * BATCH);
  }, 120_000);

  it('still registers and runs a workflow afterwards', async () => {
    const id = `fuzz-after-${Date.now()}`;
    const registered = await app.request('/api/workflows', {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: `id: ${id}\nsteps:\n  - id: a\n    noop: true\n  - id: b\n    needs: [a]\n    noop: true\n`,
    });
    expect(registered.status).toBe(201);
    const started = await app.request(`/api/workflows/${id}/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"input": {}}',
    });
    expect(started.status).toBe(202);
    const { executionId } = (await started.json()) as { executionId: string };
    const record = await service.stator.waitForExecution(executionId, { timeoutMs: 15_000 });
    expect(record.status).toBe('completed');
  }, 30_000);
});

/**
 * Generated NATS input (fast-check) against a Stator on a real nats-server, sent by a plain
 * NATS client: payloads from the HTTP suites' generators (deep nesting, alias bombs, huge
 * strings, unicode, bytes, random JSON, nearly valid commands) on every `stator.api.<command>`
 * and on unknown ones, on the inbound actor subjects (`stator.<kind>.<id>.in` for executions,
 * engines, triggers and sessions, real ids and junk) and on a workflow's NATS trigger subject.
 * Every reply is `{ok: true, data}` or `{ok: false, error}` with a code whose HTTP status is
 * below 500; afterwards the service still registers and runs a workflow over NATS.
 * FUZZ_NATS_BATCHES batches of 13 (default 250: 3,250 payloads); FUZZ_SEED replays a run.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES } from '../../src/commands/index.ts';
import { httpStatus, type ErrorCode } from '../../src/errors.ts';
import { createNatsBus, type Bus } from '../../src/index.ts';
import { RawClient } from '../fixtures/cluster/raw-client.ts';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.ts';
import { waitFor } from '../helpers/poll.ts';
import { bodyArb, type Body } from './bodies.ts';
import { fuzzParams, startFuzzService, type FuzzService } from './fuzz-service.ts';
import { Tally } from './responses.ts';

const BATCH = 13;
const BATCHES = Number(process.env.FUZZ_NATS_BATCHES ?? 250);
/** Below the server's max_payload (1 MiB) with room for headers. */
const MAX_PAYLOAD = 1_000_000;
/** How long an inbound subject may stay silent: an actor another process could own. */
const REPLY_TIMEOUT_MS = 3000;
/** How long a command may take to answer on a machine busy with the rest of the suite. */
const API_REPLY_TIMEOUT_MS = 15_000;

let server: NatsServer;
let bus: Bus;
let service: FuzzService;
let client: RawClient;
const tally = new Tally();
const encoder = new TextEncoder();

beforeAll(async () => {
  // `stator.api.*` has a fixed root: a server shared with other files would answer too.
  server = await startNatsServer({ private: true });
  bus = await createNatsBus({ servers: server.url, name: 'stator-fuzz' });
  service = await startFuzzService({ bus });
  client = await RawClient.connect(server.url, 'fuzz-client');
}, 30_000);

afterAll(async () => {
  console.info(`NATS fuzz: ${tally.summary()}`);
  await client?.close();
  await service?.close();
  await bus?.close();
  await server?.stop();
});

/** NATS subject tokens: no whitespace, dots or wildcards. */
const tokenArb = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/),
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 8 })
    .map((s) => (s.replace(/[\s.*>]/g, '') === '' ? 'x' : s.replace(/[\s.*>]/g, ''))),
);

function subjectArb(): fc.Arbitrary<string> {
  const { executions, triggers } = service.known;
  const engines = ['fuzz-e1', 'fuzz-e2'];
  const id = (real: readonly string[]) => fc.oneof(fc.constantFrom(...real), tokenArb);
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...COMMAND_NAMES).map((c) => `stator.api.${c}`) },
    { weight: 1, arbitrary: tokenArb.map((c) => `stator.api.${c}`) },
    { weight: 1, arbitrary: id(executions).map((x) => `stator.execution.${x}.in`) },
    { weight: 1, arbitrary: id(triggers).map((x) => `stator.trigger.${x}.in`) },
    { weight: 1, arbitrary: id(engines).map((x) => `stator.engine.${x}.in`) },
    { weight: 1, arbitrary: tokenArb.map((x) => `stator.session.${x}.in`) },
    { weight: 1, arbitrary: fc.constant('fuzz.trigger') },
  );
}

function bytesOf(body: Body): Uint8Array {
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  return bytes.length > MAX_PAYLOAD ? bytes.subarray(0, MAX_PAYLOAD) : bytes;
}

interface Reply {
  ok?: unknown;
  error?: { code?: unknown; message?: unknown };
}

/** Sends one payload and checks the reply; silence is allowed on inbound actor subjects. */
async function send(subject: string, body: Body): Promise<void> {
  let reply: Reply;
  try {
    const api = subject.startsWith('stator.api.');
    reply = await client.request<Reply>(
      subject,
      bytesOf(body),
      api ? API_REPLY_TIMEOUT_MS : REPLY_TIMEOUT_MS,
    );
  } catch (err) {
    const silentActor = /^stator\.(execution|engine|trigger|session)\./.test(subject);
    if (silentActor && /timeout/i.test((err as Error).message)) {
      tally.add('silent');
      return;
    }
    throw new Error(`${subject}: no reply: ${(err as Error).message}`, { cause: err });
  }
  expect(typeof reply.ok, `${subject}: ok in ${JSON.stringify(reply).slice(0, 300)}`).toBe(
    'boolean',
  );
  if (reply.ok === true) {
    tally.add(200);
    return;
  }
  const code = reply.error?.code;
  expect(typeof code, `${subject}: error.code in ${JSON.stringify(reply).slice(0, 300)}`).toBe(
    'string',
  );
  const status = httpStatus(code as ErrorCode) ?? 500;
  tally.add(status, code as string);
  expect(status, `${subject}: ${JSON.stringify(reply.error).slice(0, 300)}`).toBeLessThan(500);
}

describe('generated NATS input', () => {
  it(`answers ${BATCHES * BATCH} payloads with structured replies, none internal`, async () => {
    const batches = fc.array(fc.tuple(subjectArb(), bodyArb), {
      minLength: BATCH,
      maxLength: BATCH,
    });
    await fc.assert(
      fc.asyncProperty(batches, async (batch) => {
        await Promise.all(batch.map(([subject, body]) => send(subject, body)));
      }),
      fuzzParams(BATCHES),
    );
    expect(tally.total).toBeGreaterThanOrEqual(BATCHES * BATCH);
  }, 120_000);

  it('names the bound: 64 levels on stator.api.*, inbound actor subjects and NATS triggers, aliases', async () => {
    const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    const bound = async (subject: string, payload: string) =>
      (await client.request<{ error?: { code: string; details: unknown } }>(subject, payload))
        .error;
    expect(await bound('stator.api.workflow.execute', `{"input": ${nested(64)}}`)).toMatchObject({
      code: 'input_bounds',
      details: { bound: 'depth', limit: 64 },
    });
    expect(await bound('stator.api.session.create', nested(5000))).toMatchObject({
      code: 'input_bounds',
      details: { bound: 'depth', limit: 64 },
    });
    expect(await bound('stator.execution.nope.in', nested(65))).toMatchObject({
      code: 'input_bounds',
      details: { bound: 'depth', limit: 64 },
    });
    expect(await bound('fuzz.trigger', `{"a": ${nested(10_000)}}`)).toMatchObject({
      code: 'input_bounds',
      details: { bound: 'depth', limit: 64 },
    });
    const bomb = ['id: bomb', 'a0: &a0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      bomb.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(',')}]`,
      );
    expect(await bound('stator.api.workflow.register', bomb.join('\n'))).toMatchObject({
      code: 'input_bounds',
      details: { bound: 'aliases', limit: 100 },
    });
  });

  it('still registers and runs a workflow over NATS afterwards', async () => {
    const id = `fuzz-after-${Date.now()}`;
    const yaml = `id: ${id}\nsteps:\n  - id: a\n    noop: true\n  - id: b\n    needs: [a]\n    noop: true\n`;
    await client.call('workflow.register', yaml);
    const { executionId } = await client.call<{ executionId: string }>('workflow.execute', {
      workflowId: id,
      input: {},
    });
    const record = await waitFor(
      async () => {
        const r = await client.call<{ status: string }>('execution.get', { id: executionId });
        return r.status === 'completed' || r.status === 'failed' ? r : undefined;
      },
      { timeoutMs: 15_000, message: `run ${executionId} to finish` },
    );
    expect(record.status).toBe('completed');
  }, 30_000);
});

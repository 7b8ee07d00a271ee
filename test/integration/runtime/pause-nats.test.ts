/**
 * Pause and resume from a plain NATS client against a real nats-server: `stator.api.execution.
 * pause | resume`, and `{type: 'pause' | 'resume'}` on the run's `stator.execution.<id>.in`
 * (what another process forwards to the holder). No step starts while paused; resumed, the run
 * completes with each step run once. A finished run is refused (conflict), an unknown one
 * not_found.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsBus, createStator, type Bus, type Stator } from '../../../src/index.ts';
import { RawClient, type ApiReply } from '../../fixtures/cluster/raw-client.ts';
import { startNatsServer, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';
import { useTempDir } from '../../helpers/use-stator.ts';

let server: NatsServer;
let bus: Bus;
let stator: Stator;
let client: RawClient;
const files = useTempDir('stator-pause-nats-');

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  bus = await createNatsBus({ servers: server.url, name: 'stator-pause-test' });
  stator = await createStator({
    bus,
    store: 'memory',
    node: 'pause-node',
    shutdownGraceMs: 0,
    processHost: false,
    rateLimit: { ratePerSecond: 0 },
  });
  client = await RawClient.connect(server.url);
}, 30_000);

afterAll(async () => {
  await client?.close();
  await stator?.close({ stopProcesses: true });
  await bus?.close();
  await server?.stop();
});

type Paused = ApiReply<{ status: string; paused?: { by: string; reason: string } }>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startChain(name: string) {
  const trace = join(files.path, name);
  await stator
    .registerWorkflow({
      id: 'chain',
      inputs: { trace: { type: 'string' } },
      steps: [
        { id: 'one', run: 'sleep 0.5; echo one >> "$INPUT_TRACE"' },
        { id: 'two', needs: ['one'], run: 'echo two >> "$INPUT_TRACE"' },
        { id: 'three', needs: ['two'], run: 'echo three >> "$INPUT_TRACE"' },
      ],
    })
    .catch(() => undefined);
  const { executionId } = await stator.execute('chain', { trace });
  await waitFor(
    async () =>
      (await stator.getExecution(executionId)).steps[0]!.status === 'running' ? true : undefined,
    { timeoutMs: 10_000, message: 'step one running' },
  );
  return { id: executionId, trace };
}

const lines = async (file: string) =>
  (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);

async function expectHeldThenResumed(id: string, trace: string, resume: () => Promise<unknown>) {
  await waitFor(
    async () =>
      (await stator.getExecution(id)).steps[0]!.status === 'succeeded' ? true : undefined,
    { timeoutMs: 10_000, message: 'step one done' },
  );
  await sleep(1500);
  expect((await stator.getExecution(id)).steps[1]!.status).toBe('pending');
  await resume();
  const done = await stator.waitForExecution(id, { timeoutMs: 15_000 });
  expect(done.status).toBe('completed');
  expect(await lines(trace)).toEqual(['one', 'two', 'three']);
}

describe('pause over NATS', () => {
  it('pauses and resumes through stator.api', async () => {
    const { id, trace } = await startChain('api');
    const reply = await client.api<Paused>('execution.pause', { id, by: 'nats-user' });
    expect(reply).toMatchObject({
      ok: true,
      data: { status: 'running', paused: { by: 'nats-user', reason: 'request' } },
    });
    await expectHeldThenResumed(id, trace, () => client.api('execution.resume', { id }));
    expect(await client.api('execution.pause', { id })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
    expect(await client.api('execution.pause', { id: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });

  it("pauses and resumes on the run's .in subject", async () => {
    const { id, trace } = await startChain('in');
    const subject = client.subject('execution', id, 'in');
    const reply = await client.request<Paused>(subject, { type: 'pause', by: 'peer' });
    expect(reply).toMatchObject({ ok: true, data: { paused: { by: 'peer' } } });
    expect((await stator.getExecution(id)).paused).toMatchObject({ by: 'peer' });
    await expectHeldThenResumed(id, trace, () => client.request(subject, { type: 'resume' }));
  });
});

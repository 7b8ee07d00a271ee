/**
 * `stator.api.execution.retry` from a plain NATS client against a real nats-server: a failed
 * run retried with `from` and an `idempotencyKey` sent by 5 requests at once makes one retry run,
 * which keeps the step that succeeded; a running run and an unknown step are refused.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsBus, createStator, type Bus, type Stator } from '../../../src/index.ts';
import { RawClient, type ApiReply } from '../../fixtures/cluster/raw-client.ts';
import { startNatsServer, type NatsServer } from '../../helpers/nats-server.ts';
import { useTempDir } from '../../helpers/use-stator.ts';

let server: NatsServer;
let bus: Bus;
let stator: Stator;
let client: RawClient;
const files = useTempDir('stator-retry-nats-');

beforeAll(async () => {
  // `stator.api.*` has a fixed root: a server shared with other files would answer too.
  server = await startNatsServer({ private: true });
  bus = await createNatsBus({ servers: server.url, name: 'stator-retry-test' });
  stator = await createStator({
    bus,
    store: 'memory',
    node: 'retry-node',
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

type Retried = ApiReply<{ executionId: string; retryOf: string; replayed?: boolean }>;

describe('execution.retry on NATS', () => {
  it('retries once per idempotencyKey, keeping what succeeded', async () => {
    const dir = files.path;
    await stator.registerWorkflow({
      id: 'pair',
      steps: [
        { id: 'a', run: `echo a >> '${dir}/trace'` },
        { id: 'b', needs: ['a'], run: `echo b >> '${dir}/trace'; test -f '${dir}/marker'` },
        { id: 'c', needs: ['b'], run: `echo c >> '${dir}/trace'` },
      ],
    });
    const { executionId: first } = await stator.execute('pair');
    expect((await stator.waitForExecution(first, { timeoutMs: 15_000 })).status).toBe('failed');
    expect(await client.api('execution.retry', { id: first, from: 'zz' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_argument' },
    });
    await writeFile(join(dir, 'marker'), '');
    const replies = await Promise.all(
      Array.from({ length: 5 }, () =>
        client.api<Retried>('execution.retry', { id: first, from: 'b', idempotencyKey: 'n-1' }),
      ),
    );
    const data = replies.map((r) => {
      if (!r.ok) throw new Error(`refused: ${r.error.code}`);
      return r.data as unknown as { executionId: string; retryOf: string; replayed?: boolean };
    });
    const id = data[0]!.executionId;
    expect(data.every((d) => d.executionId === id && d.retryOf === first)).toBe(true);
    expect(data.filter((d) => d.replayed === true)).toHaveLength(4);
    const record = await stator.waitForExecution(id, { timeoutMs: 15_000 });
    expect(record.status).toBe('completed');
    expect(record.steps.map((s) => s.reused === true)).toEqual([true, false, false]);
    expect((await readFile(join(dir, 'trace'), 'utf8')).split('\n')).toEqual([
      'a',
      'b',
      'b',
      'c',
      '',
    ]);
    // A completed run without `from`: refused.
    expect(await client.api('execution.retry', { id })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
  }, 30_000);
});

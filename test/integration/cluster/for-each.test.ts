/**
 * forEach in cluster mode (NATS bus, JetStream store and work queue): instance records `x[n]`
 * (encoded as key tokens), their logs, the step's item count and its list of outputs round-trip
 * through JetStream, and a second store instance reads the same record.
 */
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStator } from '../../../src/index.ts';
import { connectCluster } from '../../../src/runtime/cluster.ts';
import { createJetStreamStore } from '../../../src/store/index.ts';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { connect, type NatsConnection } from '@nats-io/transport-node';

const logger = pino({ level: 'silent' });
let server: NatsServer;
let nc: NatsConnection;
const prefixes: string[] = [];
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  nc = await connect({ servers: server.url, name: 'for-each-cluster-test' });
}, 30_000);

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await deleteClusterStreams(server.url, prefixes.splice(0));
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe('cluster: forEach', () => {
  it('records instances, items and list outputs in JetStream', { timeout: 60_000 }, async () => {
    const prefix = uniquePrefix('fe');
    prefixes.push(prefix);
    const seams = await connectCluster({ url: server.url, name: 'fe-1', prefix, logger });
    closers.push(() => seams.close());
    const stator = await createStator({
      bus: seams.bus,
      store: seams.store,
      workQueue: seams.workQueue,
      node: 'fe-1',
      shutdownGraceMs: 0,
    });
    closers.push(() => stator.close());
    await stator.registerWorkflow({
      id: 'fan',
      steps: [
        {
          id: 'each',
          forEach: ['a', { n: 2 }, 'c'],
          concurrency: 2,
          exec: [
            'sh',
            '-c',
            'echo "v=$1" >> "$STATOR_OUTPUT"; echo "item $1"',
            'sh',
            '${{ item }}',
          ],
        },
      ],
    });
    const { executionId } = await stator.execute('fan');
    const record = await stator.waitForExecution(executionId, { timeoutMs: 30_000 });
    expect(record.status).toBe('completed');
    expect(record.steps.map((s) => [s.id, s.status]).sort()).toEqual([
      ['each', 'succeeded'],
      ['each[0]', 'succeeded'],
      ['each[1]', 'succeeded'],
      ['each[2]', 'succeeded'],
    ]);
    expect(record.steps[0]).toMatchObject({
      items: 3,
      outputs: [{ v: 'a' }, { v: '{"n":2}' }, { v: 'c' }],
    });
    const logs = await stator.logs(executionId);
    expect(logs).toContain('each[1] stdout | item {"n":2}');
    const reader = await createJetStreamStore({ connection: nc, prefix });
    try {
      expect(await reader.getExecution(executionId)).toEqual(record);
    } finally {
      await reader.close();
    }
  });
});

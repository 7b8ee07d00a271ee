/**
 * The topology is one value: `/health` reports the mode the service runs in, in every
 * deployment — embedded on the memory bus, embedded on a NATS bus (where `health()` used to say
 * `cluster` from the bus's kind while every part ran embedded), and cluster on the seams of
 * `connectCluster()` against a private nats-server. Contradictory options are refused before
 * anything starts, and an embedded store shared by two services is read, not cached.
 */
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  createNatsBus,
  createStator,
  InvalidArgumentError,
  type Bus,
  type Stator,
} from '../../../src/index.ts';
import { connectCluster, type ClusterSeams } from '../../../src/runtime/cluster.ts';
import type { StatorService } from '../../../src/runtime/stator-service.ts';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';

const logger = pino({ level: 'silent' });
const base = { store: 'memory', rehydrate: false, busApi: false, shutdownGraceMs: 0 } as const;

let server: NatsServer;
const prefixes: string[] = [];
const closers: Array<() => Promise<unknown>> = [];

/** The mode `/health` reports and the one the service was built with. */
async function modes(stator: Stator) {
  return {
    health: (await stator.health()).mode,
    topology: (stator as StatorService).deps.topology.mode,
  };
}

async function open(options: Parameters<typeof createStator>[0]): Promise<Stator> {
  const stator = await createStator({ ...base, ...options });
  closers.push(() => stator.close());
  return stator;
}

async function cluster(node: string): Promise<ClusterSeams> {
  const prefix = uniquePrefix('topo');
  prefixes.push(prefix);
  const seams = await connectCluster({ url: server.url, name: node, prefix, logger });
  closers.push(() => seams.close());
  return seams;
}

beforeAll(async () => {
  // Cluster seams create streams on fixed subjects: this file runs its own server.
  server = await startNatsServer({ private: true });
}, 30_000);

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await deleteClusterStreams(server.url, prefixes.splice(0));
});

afterAll(async () => {
  await server?.stop();
});

describe('topology: one mode, everywhere', () => {
  it('embedded on the memory bus', async () => {
    const stator = await open({ node: 'mem' });
    expect(await modes(stator)).toEqual({ health: 'embedded', topology: 'embedded' });
  });

  it('embedded on a NATS bus: every run accepted here runs here', async () => {
    const bus: Bus = await createNatsBus({ servers: server.url, name: 'topology-embedded' });
    closers.push(() => bus.close());
    const stator = await open({ bus, node: 'nats-embedded' });
    expect(await modes(stator)).toEqual({ health: 'embedded', topology: 'embedded' });
    await stator.registerWorkflow({ id: 'noop', steps: [{ id: 'a', noop: true }] });
    const { executionId } = await stator.execute('noop');
    const record = await stator.waitForExecution(executionId, { timeoutMs: 10_000 });
    expect(record).toMatchObject({ status: 'completed', node: 'nats-embedded' });
  });

  it('cluster on the seams of connectCluster()', { timeout: 30_000 }, async () => {
    const seams = await cluster('topo-1');
    const stator = await open({
      bus: seams.bus,
      store: seams.store,
      workQueue: seams.workQueue,
      topology: seams.topology,
      leases: seams.leases,
      node: 'topo-1',
    });
    expect(await modes(stator)).toEqual({ health: 'cluster', topology: 'cluster' });
    expect((stator as StatorService).deps.topology).toMatchObject({
      sharedQueue: true,
      sharedStore: true,
      ownership: 'leased',
      cacheDefinitions: false,
    });
    // The same seams without the stated topology resolve to the same mode (the queue is shared).
    const second = await open({
      bus: seams.bus,
      store: seams.store,
      workQueue: seams.workQueue,
      node: 'topo-2',
    });
    expect(await modes(second)).toEqual({ health: 'cluster', topology: 'cluster' });
  });

  it('refuses a contradictory topology before anything starts', { timeout: 30_000 }, async () => {
    const seams = await cluster('topo-bad');
    const refused = createStator({
      ...base,
      bus: seams.bus,
      store: seams.store,
      workQueue: seams.workQueue,
      topology: { mode: 'embedded' },
    });
    await expect(refused).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(refused).rejects.toThrow(/topology\.mode/);
    await expect(createStator({ ...base, topology: { mode: 'cluster' } })).rejects.toThrow(
      /topology\.mode: cluster mode needs a shared work queue/,
    );
    // Nothing was left subscribed on the connection: it still serves a service.
    const stator = await open({
      bus: seams.bus,
      store: seams.store,
      workQueue: seams.workQueue,
      node: 'topo-ok',
    });
    expect((await stator.health()).status).toBe('ok');
  });

  it('an embedded store shared by two services: a replaced definition is used at once', async () => {
    const store = createMemoryStore();
    const topology = { sharedStore: true };
    const [a, b] = [
      await open({ store, topology, node: 'share-a' }),
      await open({ store, topology, node: 'share-b' }),
    ];
    expect(await modes(b)).toEqual({ health: 'embedded', topology: 'embedded' });
    await a.registerWorkflow({ id: 'wf', steps: [{ id: 'v1', noop: true }] });
    const first = await b.execute('wf');
    await b.waitForExecution(first.executionId, { timeoutMs: 10_000 });
    await a.registerWorkflow({ id: 'wf', steps: [{ id: 'v2', noop: true }] });
    const second = await b.execute('wf');
    const record = await b.waitForExecution(second.executionId, { timeoutMs: 10_000 });
    expect(record.steps.map((s) => s.id)).toEqual(['v2']);
  });
});

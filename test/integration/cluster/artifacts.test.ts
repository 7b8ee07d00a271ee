/**
 * Artifacts in cluster mode, two nodes on a private nats-server: a run's kept file goes to the
 * deployment's JetStream object store (`<prefix>_artifacts`), so whichever node ran the step,
 * both nodes serve the same bytes over HTTP, and `stator.api.execution.artifacts` lists it.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { Objm } from '@nats-io/obj';
import { createStator, type Stator } from '../../../src/index.ts';
import { subjectSpace } from '../../../src/bus/index.ts';
import { createHttpApp } from '../../../src/http/index.ts';
import { connectCluster, type ClusterSeams } from '../../../src/runtime/cluster.ts';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { RawClient } from '../../fixtures/cluster/raw-client.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const logger = pino({ level: 'silent' });
const prefix = uniquePrefix('art');

let server: NatsServer;
let client: RawClient;
let cwd: string;
const seams: ClusterSeams[] = [];
const nodes: Stator[] = [];

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  cwd = await mkdtemp(join(tmpdir(), 'stator-cluster-art-'));
  for (const name of ['art-1', 'art-2']) {
    const s = await connectCluster({ url: server.url, name, prefix, logger });
    seams.push(s);
    nodes.push(
      await createStator({
        bus: s.bus,
        store: s.store,
        workQueue: s.workQueue,
        node: name,
        dataDir: join(cwd, name),
        shutdownGraceMs: 0,
        rateLimit: { ratePerSecond: 0 },
      }),
    );
  }
  client = await RawClient.connect(server.url, 'artifacts-test', prefix);
}, 60_000);

afterAll(async () => {
  for (const n of nodes) await n.close({ stopProcesses: true }).catch(() => undefined);
  for (const s of seams) await s.close().catch(() => undefined);
  await client?.close();
  const nc = await connect({ servers: server.url });
  await (
    await new Objm(nc).open(subjectSpace(prefix).buckets.artifacts)
  )
    .destroy()
    .catch(() => undefined);
  await nc.close();
  await deleteClusterStreams(server.url, [prefix]);
  await server?.stop();
  await rm(cwd, { recursive: true, force: true });
});

describe('cluster: artifacts', () => {
  it('keeps a file in the object store; every node serves it and NATS lists it', async () => {
    await nodes[0]!.registerWorkflow({
      id: 'pack',
      steps: [
        { id: 'p', cwd, run: 'head -c 150000 /dev/urandom > blob.bin', artifacts: ['blob.bin'] },
      ],
    });
    const { executionId: id } = await nodes[0]!.execute('pack');
    const record = await waitFor(
      async () => {
        const r = await nodes[0]!.getExecution(id);
        return r.status === 'completed' ? r : undefined;
      },
      { timeoutMs: 20_000, message: 'run completed' },
    );
    const bytes = await readFile(join(cwd, 'blob.bin'));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(record.steps[0]!.artifacts).toEqual([{ name: 'p/blob.bin', size: 150_000, sha256 }]);
    // Nothing under either node's data directory: the bytes are in JetStream.
    for (const n of ['art-1', 'art-2']) {
      await expect(readFile(join(cwd, n, 'artifacts', id, 'meta'))).rejects.toThrow();
    }
    for (const node of nodes) {
      const res = await createHttpApp({ stator: node }).request(
        `/api/executions/${id}/artifacts/p/blob.bin`,
      );
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    }
    expect(await client.api('execution.artifacts', { id })).toEqual({
      ok: true,
      data: { artifacts: [{ stepId: 'p', name: 'p/blob.bin', size: 150_000, sha256 }] },
    });
  });
});

/**
 * A three-node NATS cluster with JetStream on loopback, for tests where replication matters
 * (R3 streams and buckets, one node killed mid-burst). Each node is a private nats-server
 * (nats-server.ts) with fixed client and route ports, so a killed node restarts where its peers
 * and clients expect it, with its own store. `startNatsCluster()` resolves once JetStream has a
 * meta leader and answers through every node.
 * @module
 */
import { createServer } from 'node:net';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer, type NatsServer } from './nats-server.ts';

/** A running cluster. */
export interface NatsCluster extends AsyncDisposable {
  /** The nodes, in start order. */
  readonly nodes: readonly NatsServer[];
  /** Every node's URL, comma-separated (what `--nats` takes). */
  readonly url: string;
  /** Stops every node and removes their files; idempotent. */
  stop(): Promise<void>;
}

/** Resolves with a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `size` (default 3) clustered servers and waits for JetStream to be ready. */
export async function startNatsCluster(size = 3, readyTimeoutMs = 30_000): Promise<NatsCluster> {
  const clientPorts: number[] = [];
  const routePorts: number[] = [];
  for (let i = 0; i < size; i++) {
    clientPorts.push(await freePort());
    routePorts.push(await freePort());
  }
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`);
  const started = await Promise.allSettled(
    clientPorts.map((port, i) =>
      startNatsServer({
        private: true,
        port,
        extraConfig: [
          `server_name: n${i + 1}`,
          'cluster {',
          '  name: stator-test',
          `  listen: 127.0.0.1:${routePorts[i]}`,
          `  routes: [${routes.filter((_, j) => j !== i).join(', ')}]`,
          '}',
        ].join('\n'),
      }),
    ),
  );
  const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const url = nodes.map((n) => n.url).join(',');
  try {
    await waitForJetStream(nodes, readyTimeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, url, stop, [Symbol.asyncDispose]: stop };
}

/** Waits until every node answers a JetStream account request (a meta leader exists). */
async function waitForJetStream(nodes: readonly NatsServer[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const node of nodes) {
    const nc = await connect({ servers: node.url });
    try {
      for (;;) {
        try {
          const jsm = await jetstreamManager(nc, { timeout: 2000 });
          await jsm.getAccountInfo();
          break;
        } catch (err) {
          if (Date.now() > deadline) {
            throw new Error(`JetStream not ready on ${node.url}: ${(err as Error).message}`);
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    } finally {
      await nc.close();
    }
  }
}

import { afterAll, beforeAll } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { silentLogger } from '../../../../src/logger.ts';
import { createJetStreamWorkQueue, type WorkQueue } from '../../../../src/runtime/index.ts';
import { runWorkQueueConformance } from '../../../conformance/work-queue.case.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../../helpers/nats-server.ts';

let server: NatsServer;
let nc: NatsConnection;
/** Where each queue made here lives, so another "process" can open it again. */
const homes = new WeakMap<WorkQueue, { pool: string; stream: string }>();

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
}, 30_000);

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

runWorkQueueConformance({
  name: 'jetstream',
  async create(limit, opts = {}) {
    const pool = uniquePrefix('wq');
    const stream = `${pool}_work`;
    const queue = await createJetStreamWorkQueue({
      connection: nc,
      logger: silentLogger(),
      pool,
      stream,
      limit,
      ...(opts.redeliverAfterMs !== undefined && { ackWaitMs: opts.redeliverAfterMs }),
    });
    homes.set(queue, { pool, stream });
    return {
      queue,
      dispose: async () => {
        await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
      },
    };
  },
  async reopen(queue) {
    const home = homes.get(queue);
    if (!home) throw new Error('not a queue of this file');
    // Another process: a connection of its own, which `kill` drops without settling anything.
    const own = await connect({ servers: server.url });
    const peer = await createJetStreamWorkQueue({
      connection: own,
      logger: silentLogger(),
      ...home,
    });
    return { queue: peer, kill: () => own.close() };
  },
});

import { afterAll, beforeAll } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { silentLogger } from '../../../src/logger.ts';
import { createJetStreamWorkQueue } from '../../../src/runtime/index.ts';
import { runWorkQueueConformance } from '../../conformance/work-queue.case.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';

let server: NatsServer;
let nc: NatsConnection;

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
  async create(limit) {
    const pool = uniquePrefix('wq');
    const stream = `${pool}_work`;
    const queue = await createJetStreamWorkQueue({
      connection: nc,
      logger: silentLogger(),
      pool,
      stream,
      limit,
    });
    return {
      queue,
      dispose: async () => {
        await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
      },
    };
  },
});

import { afterAll, beforeAll } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Objm } from '@nats-io/obj';
import { createObjectArtifactStore } from '../../../src/artifacts/index.ts';
import { subjectSpace } from '../../../src/bus/index.ts';
import { runArtifactStoreConformance } from '../../conformance/artifact-store.case.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';

let server: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  nc = await connect({ servers: server.url });
}, 30_000);

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

runArtifactStoreConformance({
  name: 'jetstream object store',
  async create() {
    const bucket = subjectSpace(uniquePrefix('art')).buckets.artifacts;
    return {
      store: createObjectArtifactStore({ nc, bucket }),
      dispose: async () => {
        await (await new Objm(nc).open(bucket)).destroy().catch(() => undefined);
      },
    };
  },
});

/**
 * Artifacts in a JetStream object store (cluster mode): one bucket per deployment
 * (`<prefix>_artifacts`, named by src/bus/subjects.ts), each artifact an object named
 * `<executionId>/<name>`, so every node can serve every run's downloads. The bucket is created
 * on first use with the deployment's replicas. Listing a run reads the bucket's object list
 * (metadata only); the execution record, not this listing, is what the API shows.
 * @module
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Objm, type ObjectInfo, type ObjectStore } from '@nats-io/obj';
import { isArtifactName } from './artifact-names.ts';
import { ArtifactTooLargeError, type ArtifactInfo, type ArtifactStore } from './types.ts';

/** Options of the object store implementation. */
export interface ObjectArtifactStoreOptions {
  nc: NatsConnection;
  /** The bucket's name (`subjectSpace(prefix).buckets.artifacts`). */
  bucket: string;
  /** Copies JetStream keeps. @default 1 */
  replicas?: number;
}

const EXECUTION_ID = /^[A-Za-z0-9_-]+$/;

/** An ArtifactStore over a JetStream object store bucket. */
export function createObjectArtifactStore(opts: ObjectArtifactStoreOptions): ArtifactStore {
  let bucket: Promise<ObjectStore> | undefined;
  const os = () => {
    bucket ??= new Objm(opts.nc)
      .create(opts.bucket, { replicas: opts.replicas ?? 1 })
      .catch((err: unknown) => {
        bucket = undefined;
        throw err;
      });
    return bucket;
  };
  const objectName = (executionId: string, name: string) => `${executionId}/${name}`;
  const valid = (executionId: string, name?: string) =>
    EXECUTION_ID.test(executionId) && (name === undefined || isArtifactName(name));
  const infoOf = (o: ObjectInfo, executionId: string): ArtifactInfo => ({
    name: o.name.slice(executionId.length + 1),
    size: o.size,
    sha256: digestHex(o.digest),
  });
  const ofRun = async (executionId: string) =>
    (await (await os()).list()).filter((o) => !o.deleted && o.name.startsWith(`${executionId}/`));

  return {
    async put(executionId, name, source, maxBytes) {
      if (!valid(executionId, name)) throw new Error(`bad artifact name '${name}'`);
      const hash = createHash('sha256');
      let size = 0;
      async function* bounded(): AsyncGenerator<Uint8Array> {
        try {
          for await (const chunk of source as AsyncIterable<Buffer>) {
            size += chunk.byteLength;
            if (size > maxBytes) throw new ArtifactTooLargeError(maxBytes);
            hash.update(chunk);
            yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          }
        } finally {
          source.destroy();
        }
      }
      const store = await os();
      const stream = ReadableStream.from(bounded()) as ReadableStream<Uint8Array>;
      await store.put({ name: objectName(executionId, name) }, stream);
      return { name, size, sha256: hash.digest('hex') };
    },

    async get(executionId, name) {
      if (!valid(executionId, name)) return undefined;
      const res = await (await os()).get(objectName(executionId, name));
      if (res === null) return undefined;
      const stream = Readable.fromWeb(res.data as Parameters<typeof Readable.fromWeb>[0]);
      return { size: res.info.size, stream };
    },

    async list(executionId) {
      if (!valid(executionId)) return [];
      return (await ofRun(executionId))
        .map((o) => infoOf(o, executionId))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    async deleteExecution(executionId) {
      if (!valid(executionId)) return;
      const store = await os();
      for (const o of await ofRun(executionId)) await store.delete(o.name);
    },

    async executions() {
      const ids = new Set<string>();
      for (const o of await (await os()).list()) {
        if (o.deleted) continue;
        const id = o.name.slice(0, o.name.indexOf('/'));
        if (EXECUTION_ID.test(id)) ids.add(id);
      }
      return [...ids];
    },
  };
}

/** `SHA-256=<base64url>` as hex. */
function digestHex(digest: string): string {
  const b64 = digest.startsWith('SHA-256=') ? digest.slice('SHA-256='.length) : digest;
  return Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('hex');
}

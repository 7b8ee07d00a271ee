/**
 * The ArtifactStore contract, run against every implementation (files under a directory, the
 * JetStream object store): what is put comes back byte for byte with its size and SHA-256; a
 * put over its bound keeps nothing; a name put again is replaced; listings are per run and
 * sorted; unknown names and runs read as nothing; bad names are refused; deleting a run removes
 * its artifacts and no other run's.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ArtifactTooLargeError, type ArtifactStore } from '../../src/artifacts/index.ts';

/** How an implementation plugs in. */
export interface ArtifactStoreConformanceOptions {
  name: string;
  /** A fresh, empty store; `dispose` removes what it made. */
  create(): Promise<{ store: ArtifactStore; dispose(): Promise<void> }>;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Streams `data` in chunks of `chunk` bytes. */
function chunks(data: Buffer, chunk = 64 * 1024): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  return Readable.from(parts);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

/** Registers the suite for one implementation. */
export function runArtifactStoreConformance(opts: ArtifactStoreConformanceOptions): void {
  describe(`ArtifactStore conformance: ${opts.name}`, () => {
    const disposers: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const d of disposers.splice(0)) await d();
    });
    const fresh = async () => {
      const { store, dispose } = await opts.create();
      disposers.push(dispose);
      return store;
    };

    it('returns what was put, byte for byte, with its size and sha256', async () => {
      const store = await fresh();
      const data = randomBytes(300 * 1024 + 7);
      const info = await store.put('ex1', 'build/out/app.bin', chunks(data), 1024 * 1024);
      expect(info).toEqual({ name: 'build/out/app.bin', size: data.length, sha256: sha(data) });
      const got = await store.get('ex1', 'build/out/app.bin');
      expect(got?.size).toBe(data.length);
      expect((await readAll(got!.stream)).equals(data)).toBe(true);
      expect(await store.list('ex1')).toEqual([info]);
    });

    it('keeps an empty file', async () => {
      const store = await fresh();
      const info = await store.put('ex1', 's/empty', Readable.from([]), 10);
      expect(info.size).toBe(0);
      expect((await readAll((await store.get('ex1', 's/empty'))!.stream)).length).toBe(0);
    });

    it('refuses a source over its bound and keeps nothing of it', async () => {
      const store = await fresh();
      await expect(
        store.put('ex1', 's/big', chunks(randomBytes(5000), 1000), 4096),
      ).rejects.toBeInstanceOf(ArtifactTooLargeError);
      expect(await store.get('ex1', 's/big')).toBeUndefined();
      expect(await store.list('ex1')).toEqual([]);
    });

    it('replaces a name put again, and lists per run, sorted by name', async () => {
      const store = await fresh();
      await store.put('ex1', 's/b.txt', Readable.from([Buffer.from('old')]), 100);
      const b = await store.put('ex1', 's/b.txt', Readable.from([Buffer.from('newer')]), 100);
      const a = await store.put('ex1', 's/a.txt', Readable.from([Buffer.from('a')]), 100);
      await store.put('ex2', 's/c.txt', Readable.from([Buffer.from('c')]), 100);
      expect(await store.list('ex1')).toEqual([a, b]);
      expect((await readAll((await store.get('ex1', 's/b.txt'))!.stream)).toString()).toBe('newer');
      expect((await store.executions()).sort()).toEqual(['ex1', 'ex2']);
    });

    it('reads unknown names and runs as nothing, and refuses bad names', async () => {
      const store = await fresh();
      expect(await store.get('nope', 's/x')).toBeUndefined();
      expect(await store.list('nope')).toEqual([]);
      for (const bad of ['../x', 's/../../etc/passwd', 'nostep', 's//x', 's/./x', 'a\\b/c']) {
        expect(await store.get('ex1', bad)).toBeUndefined();
        await expect(store.put('ex1', bad, Readable.from([]), 10)).rejects.toThrow();
      }
      expect(await store.get('../ex', 's/x')).toBeUndefined();
    });

    it("deletes a run's artifacts and no other run's", async () => {
      const store = await fresh();
      await store.put('ex1', 's/a', Readable.from([Buffer.from('1')]), 10);
      await store.put('ex1', 't/b', Readable.from([Buffer.from('2')]), 10);
      await store.put('ex2', 's/a', Readable.from([Buffer.from('3')]), 10);
      await store.deleteExecution('ex1');
      await store.deleteExecution('never-had-any');
      expect(await store.list('ex1')).toEqual([]);
      expect(await store.get('ex1', 's/a')).toBeUndefined();
      expect((await store.list('ex2')).map((a) => a.name)).toEqual(['s/a']);
      expect(await store.executions()).toEqual(['ex2']);
    });
  });
}

/**
 * Artifacts as files under a directory (embedded mode: `<data>/artifacts`). A run's artifacts
 * live in `<dir>/<executionId>/`: each as `files/<sha256 of its name>` beside
 * `meta/<same>.json` (`{name, size, sha256}`), so no name, however long or nested, becomes a
 * path of its own. A file is written to `tmp/` and renamed into place, then its meta: a crash
 * leaves at worst a file that no listing shows, which the run's deletion removes.
 * @module
 */
import { createReadStream } from 'node:fs';
import {
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { isArtifactName } from './artifact-names.ts';
import { countedCopy } from './counted-copy.ts';
import type { ArtifactDownload, ArtifactInfo, ArtifactStore } from './types.ts';

const EXECUTION_ID = /^[A-Za-z0-9_-]+$/;

/** An ArtifactStore keeping files under `dir` (created on first write). */
export function createFsArtifactStore(dir: string): ArtifactStore {
  const runDir = (executionId: string) => {
    if (!EXECUTION_ID.test(executionId)) throw new Error(`bad execution id '${executionId}'`);
    return join(dir, executionId);
  };
  const key = (name: string) => {
    if (!isArtifactName(name)) throw new Error(`bad artifact name '${name}'`);
    return createHash('sha256').update(name).digest('hex');
  };

  return {
    async put(executionId, name, source, maxBytes) {
      const run = runDir(executionId);
      const k = key(name);
      await Promise.all(
        ['files', 'meta', 'tmp'].map((d) => mkdir(join(run, d), { recursive: true })),
      );
      const tmp = join(run, 'tmp', `${k}.${randomUUID()}`);
      const file = await open(tmp, 'wx');
      let result;
      try {
        result = await countedCopy(source, maxBytes, async (chunk) => {
          await file.write(chunk);
        });
        await file.close();
      } catch (err) {
        await file.close().catch(() => undefined);
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
      await rename(tmp, join(run, 'files', k));
      const info: ArtifactInfo = { name, size: result.size, sha256: result.sha256 };
      await writeFile(join(run, 'meta', `${k}.json`), JSON.stringify(info));
      return info;
    },

    async get(executionId, name): Promise<ArtifactDownload | undefined> {
      if (!EXECUTION_ID.test(executionId) || !isArtifactName(name)) return undefined;
      const path = join(runDir(executionId), 'files', key(name));
      try {
        const handle = await open(path, 'r');
        const { size } = await handle.stat();
        const stream: Readable = createReadStream('', { fd: handle, autoClose: true });
        return { size, stream };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },

    async list(executionId) {
      if (!EXECUTION_ID.test(executionId)) return [];
      const metaDir = join(runDir(executionId), 'meta');
      let entries: string[];
      try {
        entries = await readdir(metaDir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      const out: ArtifactInfo[] = [];
      for (const e of entries) {
        if (!e.endsWith('.json')) continue;
        try {
          out.push(JSON.parse(await readFile(join(metaDir, e), 'utf8')) as ArtifactInfo);
        } catch {
          // A meta file half-written by a crash: that artifact is not listed.
        }
      }
      return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    async deleteExecution(executionId) {
      if (!EXECUTION_ID.test(executionId)) return;
      await rm(runDir(executionId), { recursive: true, force: true });
    },

    async executions() {
      try {
        const entries = await readdir(dir);
        const out: string[] = [];
        for (const e of entries) {
          if (EXECUTION_ID.test(e) && (await stat(join(dir, e))).isDirectory()) out.push(e);
        }
        return out;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    },
  };
}

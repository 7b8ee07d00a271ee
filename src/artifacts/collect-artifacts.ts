/**
 * Collects a step's declared artifacts from its working directory into an ArtifactStore, after
 * its process has ended. Safety rules, whatever the step wrote:
 * - the patterns were checked at registration (relative, no `..`);
 * - every match is resolved with realpath and must lie inside the working directory's own
 *   realpath, so a symlink (to a file or a directory on the way) leading out is refused; the
 *   walk of a glob never descends into a symlinked directory;
 * - only regular files are kept (opened with O_NOFOLLOW | O_NONBLOCK, checked with fstat, so a
 *   FIFO never blocks and a device is never read);
 * - bounded per file, per run and in count; what is over a bound is refused with its reason
 *   (the step itself does not fail: its work is done, and running it again would make the same
 *   files). A file that grows past its bound while copied is refused too, nothing kept of it.
 * Collections of one run are serialized, so the run's byte bound holds with parallel steps.
 * @module
 */
import { constants, createReadStream } from 'node:fs';
import { lstat, open, readdir, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { artifactName } from './artifact-names.ts';
import { compileGlob } from './glob-match.ts';
import {
  ArtifactTooLargeError,
  MAX_ARTIFACT_WALK_ENTRIES,
  MAX_ARTIFACTS_PER_STEP,
  type ArtifactInfo,
  type ArtifactLimits,
  type ArtifactStore,
  type RefusedArtifact,
} from './types.ts';

/** What to collect. */
export interface CollectInput {
  executionId: string;
  stepId: string;
  /** The step's working directory (absolute). */
  cwd: string;
  patterns: readonly string[];
}

/** What a collection kept, refused, and noticed (patterns matching nothing, a walk cut short). */
export interface CollectResult {
  kept: ArtifactInfo[];
  refused: RefusedArtifact[];
  notes: string[];
}

/** Collects artifacts into `store` within `limits`. */
export class ArtifactCollector {
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(
    readonly store: ArtifactStore,
    readonly limits: ArtifactLimits,
  ) {}

  /** Collects one step's artifacts (after the run's earlier collections). */
  collect(input: CollectInput): Promise<CollectResult> {
    const prev = this.#queues.get(input.executionId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.#collect(input));
    this.#queues.set(input.executionId, next);
    void next
      .finally(() => {
        if (this.#queues.get(input.executionId) === next) this.#queues.delete(input.executionId);
      })
      .catch(() => undefined);
    return next;
  }

  async #collect(input: CollectInput): Promise<CollectResult> {
    const result: CollectResult = { kept: [], refused: [], notes: [] };
    let root: string;
    try {
      root = await realpath(input.cwd);
    } catch (err) {
      result.notes.push(`artifacts: working directory unreadable (${(err as Error).message})`);
      return result;
    }
    const matched = await matchPatterns(root, input.patterns, result.notes);
    const existing = new Map(
      (await this.store.list(input.executionId)).map((a) => [a.name, a.size] as const),
    );
    let used = 0;
    for (const size of existing.values()) used += size;
    let count = 0;
    for (const rel of matched) {
      const name = artifactName(input.stepId, rel);
      if (++count > MAX_ARTIFACTS_PER_STEP) {
        result.refused.push({ name, reason: `over ${MAX_ARTIFACTS_PER_STEP} files per step` });
        continue;
      }
      const replaced = existing.get(name) ?? 0;
      const runLeft = this.limits.maxRunBytes - (used - replaced);
      const outcome = await this.#keep(input.executionId, name, root, rel, runLeft);
      if ('reason' in outcome) {
        result.refused.push(outcome);
        continue;
      }
      used += outcome.size - replaced;
      existing.set(name, outcome.size);
      result.kept.push(outcome);
    }
    return result;
  }

  async #keep(
    executionId: string,
    name: string,
    root: string,
    rel: string,
    runLeft: number,
  ): Promise<ArtifactInfo | RefusedArtifact> {
    let real: string;
    try {
      real = await realpath(join(root, rel));
    } catch (err) {
      return { name, reason: `unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    if (!real.startsWith(root + sep)) {
      return { name, reason: 'a symlink leading outside the working directory' };
    }
    let handle;
    try {
      handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      return { name, reason: `cannot open (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) return { name, reason: 'not a regular file' };
      const { maxFileBytes } = this.limits;
      if (st.size > maxFileBytes) {
        return { name, reason: `${st.size} bytes, over the ${maxFileBytes} bytes kept per file` };
      }
      if (st.size > runLeft) {
        return {
          name,
          reason: `${st.size} bytes, over what is left of the ${this.limits.maxRunBytes} bytes kept per run`,
        };
      }
      const stream = createReadStream('', { fd: handle, autoClose: false });
      try {
        return await this.store.put(executionId, name, stream, Math.min(maxFileBytes, runLeft));
      } catch (err) {
        if (err instanceof ArtifactTooLargeError) {
          return { name, reason: `grew past ${err.maxBytes} bytes while it was copied` };
        }
        throw err;
      }
    } finally {
      await handle.close().catch(() => undefined);
    }
  }
}

/** Relative paths (deduplicated, in order) that the patterns match under `root`. */
async function matchPatterns(
  root: string,
  patterns: readonly string[],
  notes: string[],
): Promise<string[]> {
  const found = new Set<string>();
  let budget = MAX_ARTIFACT_WALK_ENTRIES;
  for (const pattern of patterns) {
    const glob = compileGlob(pattern);
    const before = found.size;
    if (glob.literal) {
      const st = await lstat(join(root, glob.base)).catch(() => undefined);
      if (st?.isDirectory())
        notes.push(`artifacts: '${pattern}' is a directory (use '${pattern}/**')`);
      else if (st) found.add(glob.base);
    } else {
      const stack = [glob.base];
      while (stack.length > 0) {
        const dir = stack.pop()!;
        const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
        for (const e of entries) {
          if (--budget < 0) break;
          const rel = dir === '' ? e.name : `${dir}/${e.name}`;
          // Never into a symlinked directory: its files are not under the working directory.
          if (e.isDirectory()) {
            if (glob.mayContain(rel)) stack.push(rel);
          } else if (glob.matches(rel)) {
            found.add(rel);
          }
        }
        if (budget < 0) break;
      }
      if (budget < 0) {
        notes.push(`artifacts: stopped looking after ${MAX_ARTIFACT_WALK_ENTRIES} entries`);
        break;
      }
    }
    if (found.size === before) notes.push(`artifacts: '${pattern}' matched no file`);
  }
  return [...found];
}

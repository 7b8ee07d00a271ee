/**
 * `stator artifacts EXECUTION [NAME] [-o FILE] [--force] [--json]`: without NAME lists the files
 * the run's steps kept (name, size, sha256) and refused (with the reason); with NAME downloads
 * one (`<stepId>/<path>`) to FILE (or into a directory), by default its basename in the current
 * directory. An existing
 * file is never replaced without --force: the bytes go to a temporary file beside the target,
 * are checked against the size and sha256 the server announces, and only then take the
 * target's name (a hard link, which fails if the name exists; a rename under --force), so an
 * interrupted or corrupt download leaves nothing behind.
 * @module
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { link, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { downloadFilename } from '../../artifacts/index.ts';
import { StatorError } from '../../errors.ts';
import { err, out } from '../cli-io.ts';
import { HELP } from '../help.ts';
import { REMOTE_OPTIONS, request, requestJson, resolveRemote, type Remote } from './api-client.ts';
import { formatTable } from './table.ts';

/** One artifact as `GET /api/executions/:id/artifacts` lists it. */
interface ListedArtifact {
  stepId: string;
  name: string;
  size: number;
  sha256?: string;
  refused?: string;
}

const path = (id: string) => `/api/executions/${encodeURIComponent(id)}/artifacts`;

/** `1.2 MiB`, `340 B`. */
function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const mib = n / 1024 / 1024;
  return mib < 1 ? `${(n / 1024).toFixed(1)} KiB` : `${mib.toFixed(1)} MiB`;
}

async function list(remote: Remote, id: string): Promise<ListedArtifact[]> {
  return (await requestJson<{ artifacts: ListedArtifact[] }>(remote, 'GET', path(id))).artifacts;
}

/** Runs `stator artifacts`; resolves with the exit code. */
export async function artifactsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...REMOTE_OPTIONS,
      output: { type: 'string', short: 'o' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  if (values.help) return (out(HELP.artifacts!), 0);
  const [id, name] = positionals;
  if (id === undefined || positionals.length > 2) return (err(HELP.artifacts!), 2);
  const remote = resolveRemote(values);
  if (name === undefined) {
    const artifacts = await list(remote, id);
    if (values.json) return (out(JSON.stringify(artifacts, null, 2)), 0);
    if (artifacts.length === 0) return (out(`run ${id} kept no artifacts`), 0);
    const rows = artifacts.map((a) => [
      a.name,
      a.refused === undefined ? bytes(a.size) : '-',
      a.refused === undefined ? (a.sha256 ?? '') : `refused: ${a.refused}`,
    ]);
    out(formatTable(['NAME', 'SIZE', 'SHA256'], rows));
    return 0;
  }
  // -o DIR (an existing directory) saves the file there under its basename.
  const given = values.output ?? '.';
  const target = resolve(isDirectory(given) ? join(given, downloadFilename(name)) : values.output!);
  if (!values.force && existsSync(target)) {
    return (err(`error: ${target} exists; use --force to replace it`), 1);
  }
  return download(remote, id, name, target, values.force === true);
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

async function download(
  remote: Remote,
  id: string,
  name: string,
  target: string,
  force: boolean,
): Promise<number> {
  let res: Response;
  try {
    res = await request(remote, 'GET', `${path(id)}/${encodeURIComponent(name)}`, undefined, {
      accept: 'application/octet-stream',
    });
  } catch (e) {
    if (!(e instanceof StatorError) || e.code !== 'not_found') throw e;
    // The run itself may be unknown (listing it says so), or only the name.
    const listed = await list(remote, id);
    const kept = listed.filter((a) => a.refused === undefined);
    const refused = listed.find((a) => a.name === name)?.refused;
    err(
      refused !== undefined
        ? `error: run ${id} did not keep '${name}': ${refused}`
        : `error: run ${id} has no artifact '${name}'` +
            (kept.length > 0
              ? `; it kept: ${kept
                  .slice(0, 10)
                  .map((a) => a.name)
                  .join(', ')}${kept.length > 10 ? ', ...' : ''}`
              : '; it kept none'),
    );
    return 1;
  }
  const size = Number(res.headers.get('content-length'));
  const sha256 = res.headers.get('x-artifact-sha256');
  const part = join(dirname(target), `.${basename(target)}.${process.pid}.part`);
  const hash = createHash('sha256');
  let received = 0;
  try {
    await pipeline(
      Readable.fromWeb(res.body as WebReadableStream),
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          received += chunk.length;
          done(null, chunk);
        },
      }),
      createWriteStream(part, { flags: 'wx', mode: 0o644 }),
    );
    const digest = hash.digest('hex');
    if (Number.isFinite(size) && received !== size) {
      throw new StatorError(
        'internal',
        `download of ${name} ended at ${received} of ${size} bytes`,
      );
    }
    if (sha256 !== null && digest !== sha256) {
      throw new StatorError('internal', `download of ${name} does not match its sha256`);
    }
    if (force) await rename(part, target);
    else {
      try {
        await link(part, target);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        return (err(`error: ${target} exists; use --force to replace it`), 1);
      }
    }
    out(`${target} (${bytes(received)}, sha256 ${digest})`);
    return 0;
  } finally {
    await unlink(part).catch(() => undefined);
  }
}

/**
 * A private nats-server for tests, modelled on nats.js `nst`: uses NATS_URL when set, otherwise
 * spawns `nats-server -js` on a random 127.0.0.1 port with a temporary store, waits for its ports
 * file while racing an early exit, and removes everything on stop(). Never skips: a missing binary
 * is an error that says how to get one.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Bytes of stderr kept for error messages. */
const STDERR_LIMIT = 16 * 1024;

/** Options of startNatsServer. */
export interface NatsServerOptions {
  /** Fixed port (to restart a server where clients expect it). @default random */
  port?: number;
  /** Spawn a private server even when NATS_URL is set (tests that stop the server); implied by extraConfig. @default false */
  private?: boolean;
  /** How long to wait for the server to listen. @default 15000 */
  startTimeoutMs?: number;
  /** Extra server configuration appended to the generated file (authorization, tls, ...). */
  extraConfig?: string;
}

/** A running server (or the external one named by NATS_URL). */
export interface NatsServer extends AsyncDisposable {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** The client port. */
  readonly port: number;
  /** True when NATS_URL was used and nothing was spawned. */
  readonly external: boolean;
  /** The last bytes the server wrote on stderr. */
  stderr(): string;
  /** Stops the server and removes its files; idempotent. A no-op for an external server. */
  stop(): Promise<void>;
}

/** A random token for per-test subject prefixes, bucket and stream names (`[a-z0-9]`). */
export function uniquePrefix(label = 't'): string {
  return `${label}${randomBytes(6).toString('hex')}`;
}

function external(url: string): NatsServer {
  const port = Number(new URL(url.replace(/^(nats|tls):/, 'http:')).port || 4222);
  const noop = async () => {};
  return { url, port, external: true, stderr: () => '', stop: noop, [Symbol.asyncDispose]: noop };
}

/** Starts a server (or returns the one in NATS_URL) and resolves once it accepts clients. */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const envUrl = process.env['NATS_URL'];
  if (envUrl && !opts.private && opts.extraConfig === undefined) return external(envUrl);
  const dir = await mkdtemp(join(tmpdir(), 'stator-nats-'));
  const conf = join(dir, 'server.conf');
  await writeFile(
    conf,
    [
      `listen: ${JSON.stringify(`127.0.0.1:${opts.port ?? -1}`)}`,
      `ports_file_dir: ${JSON.stringify(dir)}`,
      `jetstream { store_dir: ${JSON.stringify(join(dir, 'js'))} }`,
      opts.extraConfig ?? '',
      '',
    ].join('\n'),
  );
  const child = spawn('nats-server', ['-js', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_LIMIT);
  });
  let gone = false;
  const exited = new Promise<Error>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) =>
      resolve(
        err.code === 'ENOENT'
          ? new Error('nats-server not found: apt-get install nats-server or set NATS_URL')
          : err,
      ),
    );
    child.once('close', (code, signal) =>
      resolve(new Error(`nats-server exited (${signal ?? code}) before listening:\n${stderr}`)),
    );
  });
  const stop = stopper(child, dir);
  try {
    const url = await Promise.race([
      waitForPorts(
        dir,
        child.pid,
        opts.startTimeoutMs ?? 15_000,
        () => gone,
        () => stderr,
      ),
      exited.then((err) => {
        gone = true;
        return Promise.reject(err);
      }),
    ]);
    const port = Number(new URL(url.replace(/^nats:/, 'http:')).port);
    return { url, port, external: false, stderr: () => stderr, stop, [Symbol.asyncDispose]: stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitForPorts(
  dir: string,
  pid: number | undefined,
  timeoutMs: number,
  gone: () => boolean,
  stderr: () => string,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const name = `nats-server_${pid}.ports`;
  while (!gone()) {
    const files = await readdir(dir).catch(() => [] as string[]);
    if (files.includes(name)) {
      try {
        const ports = JSON.parse(await readFile(join(dir, name), 'utf8')) as { nats?: string[] };
        const url = ports.nats?.[0];
        if (url) return url;
      } catch {
        // Written but not complete yet: read again.
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`nats-server did not listen within ${timeoutMs} ms:\n${stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // The exit race reports why.
  return new Promise<string>(() => {});
}

function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await gone;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
}

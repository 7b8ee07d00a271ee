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
  /**
   * SIGKILLs the server and keeps its files (JetStream store included), as a crash would;
   * `restart()` brings it back on the same port with the same store. Private servers only.
   */
  kill(): Promise<void>;
  /** Starts the killed (or running: killed first) server again on its port and store. */
  restart(): Promise<void>;
}

/** A random token for per-test subject prefixes, bucket and stream names (`[a-z0-9]`). */
export function uniquePrefix(label = 't'): string {
  return `${label}${randomBytes(6).toString('hex')}`;
}

function external(url: string): NatsServer {
  const port = Number(new URL(url.replace(/^(nats|tls):/, 'http:')).port || 4222);
  const noop = async () => {};
  const refuse = async () => {
    throw new Error('an external nats-server (NATS_URL) cannot be killed: use { private: true }');
  };
  return {
    url,
    port,
    external: true,
    stderr: () => '',
    stop: noop,
    kill: refuse,
    restart: refuse,
    [Symbol.asyncDispose]: noop,
  };
}

/** Starts a server (or returns the one in NATS_URL) and resolves once it accepts clients. */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const envUrl = process.env['NATS_URL'];
  if (envUrl && !opts.private && opts.extraConfig === undefined) return external(envUrl);
  const dir = await mkdtemp(join(tmpdir(), 'stator-nats-'));
  const conf = join(dir, 'server.conf');
  const writeConf = (port: number) =>
    writeFile(
      conf,
      [
        `listen: ${JSON.stringify(`127.0.0.1:${port}`)}`,
        `ports_file_dir: ${JSON.stringify(dir)}`,
        `jetstream { store_dir: ${JSON.stringify(join(dir, 'js'))} }`,
        opts.extraConfig ?? '',
        '',
      ].join('\n'),
    );
  const timeoutMs = opts.startTimeoutMs ?? 15_000;
  let stderr = '';
  const onStderr = (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_LIMIT);
  };
  await writeConf(opts.port ?? -1);
  let running: Launched;
  try {
    running = await launch(conf, dir, timeoutMs, onStderr, () => stderr);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const url = running.url;
  const port = Number(new URL(url.replace(/^nats:/, 'http:')).port);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await terminate(running.child, 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const kill = () => terminate(running.child, 'SIGKILL');
  const restart = async () => {
    if (stopping) throw new Error('nats-server was stopped');
    await kill();
    await writeConf(port);
    running = await launch(conf, dir, timeoutMs, onStderr, () => stderr);
  };
  return {
    url,
    port,
    external: false,
    stderr: () => stderr,
    stop,
    kill,
    restart,
    [Symbol.asyncDispose]: stop,
  };
}

interface Launched {
  child: ChildProcess;
  url: string;
}

/** Spawns `nats-server -c conf` and resolves with its URL once it listens. */
async function launch(
  conf: string,
  dir: string,
  timeoutMs: number,
  onStderr: (chunk: string) => void,
  stderr: () => string,
): Promise<Launched> {
  const child = spawn('nats-server', ['-js', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', onStderr);
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
      resolve(new Error(`nats-server exited (${signal ?? code}) before listening:\n${stderr()}`)),
    );
  });
  try {
    const url = await Promise.race([
      waitForPorts(dir, child.pid, timeoutMs, () => gone, stderr),
      exited.then((err) => {
        gone = true;
        return Promise.reject(err);
      }),
    ]);
    return { child, url };
  } catch (err) {
    await terminate(child, 'SIGKILL');
    throw err;
  }
}

/** Sends `signal` (SIGKILL after 5 s) and waits for the exit; a no-op once it has exited. */
async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await gone;
  clearTimeout(timer);
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

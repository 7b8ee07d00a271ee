/**
 * One `stator serve` in a child process, started as a user starts it (`npm start`: node with
 * the service's V8 flags, `--import tsx src/cli.ts serve`) on a free port of 127.0.0.1 and a
 * given data directory, with a clean environment. Ready once it logs its URL. `kill9()` is
 * kill -9 of the server process alone (never its group: the process host and the steps must
 * not be hit by accident); `terminate()` sends SIGTERM and times the exit.
 * @module
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SERVICE_NODE_FLAGS } from '../../bin/node-flags.js';

/**
 * The checkout whose `src/cli.ts` is started: this repository, or `STATOR_CHAOS_ROOT` (to run
 * these tests against another tree, e.g. an export of an older commit).
 */
export const STATOR_ROOT = process.env.STATOR_CHAOS_ROOT ?? join(import.meta.dirname, '..', '..');

/** Options of startServer. */
export interface ServerOptions {
  dataDir: string;
  /** `--workflows`: a directory (empty is fine) so the examples are not loaded. */
  workflowsDir: string;
  /** Added to the clean environment (e.g. STATOR_SHUTDOWN_TIMEOUT). */
  env?: Record<string, string>;
  /** Extra `serve` flags (e.g. `--slots 500`). */
  args?: readonly string[];
  /** @default 30000 */
  readyTimeoutMs?: number;
  /** SIGKILLed if still running after this long. @default 180000 */
  maxLifetimeMs?: number;
}

/** How a server process ended. */
export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Epoch ms. */
  at: number;
}

/** A running server. */
export interface ServerProcess {
  readonly pid: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Epoch ms of the spawn and of the "listening" log line. */
  readonly spawnedAt: number;
  readonly readyAt: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ServerExit>;
  /** True until the process exits. */
  running(): boolean;
  /** Epoch ms of the exit, once it exited. */
  exitedAt(): number | undefined;
  /** kill -9 of the server process; resolves once it is gone (epoch ms of the kill). */
  kill9(): Promise<number>;
  /** SIGTERM; resolves with the exit and how long it took. */
  terminate(): Promise<ServerExit & { ms: number }>;
  /** The last lines the server wrote (stdout and stderr), for failure messages. */
  tail(): string;
}

/** Servers still running, SIGKILLed if the test process exits first. */
const live = new Set<number>();
process.once('exit', () => {
  for (const pid of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

/** The environment a user's shell would give: ours without Stator, NATS and test variables. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(STATOR_|NATS_|VITEST|__VITEST)/.test(k)) continue;
    if (['PORT', 'NODE_ENV', 'NODE_OPTIONS', 'TEST'].includes(k)) continue;
    env[k] = v;
  }
  return { ...env, STATOR_LOG_LEVEL: 'info', ...extra };
}

/** Starts `stator serve` and resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<ServerProcess> {
  const { readyTimeoutMs = 30_000, maxLifetimeMs = 180_000 } = options;
  const args = [
    ...SERVICE_NODE_FLAGS,
    '--import',
    'tsx',
    'src/cli.ts',
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--data-dir',
    options.dataDir,
    '--workflows',
    options.workflowsDir,
    ...(options.args ?? []),
  ];
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, args, {
    cwd: STATOR_ROOT,
    env: cleanEnv(options.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn stator serve');
  live.add(pid);
  let lines: string[] = [];
  let stdout = '';
  let listening = false;
  const keep = (text: string) => {
    lines.push(...text.split('\n').filter(Boolean));
    if (lines.length > 200) lines = lines.slice(-120);
  };
  child.stderr.setEncoding('utf8').on('data', keep);
  const exited = new Promise<ServerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(pid);
      resolve({ code, signal, at: Date.now() });
    });
  });
  const lifetime = setTimeout(() => child.kill('SIGKILL'), maxLifetimeMs).unref();
  void exited.then(() => clearTimeout(lifetime));
  const tail = () => lines.slice(-60).join('\n');

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`stator serve not listening within ${readyTimeoutMs} ms:\n${tail()}`));
    }, readyTimeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      keep(chunk);
      if (listening) return;
      stdout = (stdout + chunk).slice(-100_000);
      const found = /"url":"(http:\/\/[^"]+)"/.exec(stdout)?.[1];
      if (found !== undefined) {
        listening = true;
        clearTimeout(timer);
        resolve(found);
      }
    });
    void exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`stator serve exited (${e.code ?? e.signal}) before listening:\n${tail()}`));
    });
  });
  const readyAt = Date.now();
  let isRunning = true;
  let exitAt: number | undefined;
  void exited.then((e) => {
    isRunning = false;
    exitAt = e.at;
  });

  return {
    pid,
    url,
    spawnedAt,
    readyAt,
    exited,
    running: () => isRunning,
    exitedAt: () => exitAt,
    async kill9() {
      const at = Date.now();
      if (isRunning) child.kill('SIGKILL');
      await exited;
      return at;
    },
    async terminate() {
      const t0 = Date.now();
      if (isRunning) child.kill('SIGTERM');
      const exit = await exited;
      return { ...exit, ms: exit.at - t0 };
    },
    tail,
  };
}

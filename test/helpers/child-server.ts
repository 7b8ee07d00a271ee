/**
 * A Stator server in a child process, for tests that crash it or stop it. `startChildServer()`
 * runs `node --import tsx <script> ...args` as the leader of its own process group and
 * resolves once the script says it is ready: by default when it prints its first stdout line,
 * a JSON value the test gets back as `ready` (the fixture scripts in test/fixtures print
 * one once they reach the point the test wants). `crash()` is kill -9 of the whole group: no
 * shutdown runs, so the data directory is left as a crash leaves it, for a new service to
 * start on. `stop()` sends SIGTERM and resolves with the exit. Disposing crashes what still
 * runs.
 * @module
 */
import { join } from 'node:path';
import { execa, type Result } from 'execa';

const ROOT = join(import.meta.dirname, '..', '..');

/** Options of startChildServer. */
export interface ChildServerOptions<T> {
  /** Arguments after the script (the fixture scripts take the data directory first). */
  args?: readonly string[];
  /** Variables added to the environment. */
  env?: Record<string, string>;
  /**
   * Reads readiness from the stdout seen so far: a value means ready. By default, the first
   * line parsed as JSON.
   */
  ready?: (stdout: string) => T | undefined;
  /** @default 30000 */
  readyTimeoutMs?: number;
  /** The child is SIGKILLed if it still runs after this long. @default 120000 */
  maxLifetimeMs?: number;
}

/** A running child server. */
export interface ChildServer<T> extends AsyncDisposable {
  readonly pid: number;
  /** What the readiness check returned. */
  readonly ready: T;
  /** Everything the child wrote to stdout so far. */
  stdout(): string;
  /** The last 4,000 characters the child wrote to stderr. */
  stderr(): string;
  /** SIGKILLs the child's process group and waits for the child to exit. Idempotent. */
  crash(): Promise<void>;
  /** Sends SIGTERM to the child and resolves with how it exited. */
  stop(): Promise<Result>;
}

/** The first stdout line, parsed as JSON, once it is complete. */
function firstJsonLine<T>(stdout: string): T | undefined {
  const nl = stdout.indexOf('\n');
  return nl < 0 ? undefined : (JSON.parse(stdout.slice(0, nl)) as T);
}

/** Starts `script` in a child process and resolves once it is ready. */
export async function startChildServer<T = unknown>(
  script: string,
  options: ChildServerOptions<T> = {},
): Promise<ChildServer<T>> {
  const { args = [], env = {}, readyTimeoutMs = 30_000, maxLifetimeMs = 120_000 } = options;
  const isReady = options.ready ?? firstJsonLine<T>;
  const child = execa(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env,
    detached: true,
    reject: false,
    stdin: 'ignore',
    timeout: maxLifetimeMs,
    killSignal: 'SIGKILL',
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${script}`);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });

  let crashed: Promise<void> | undefined;
  const crash = () => {
    crashed ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) killGroup(pid);
      await child;
    })();
    return crashed;
  };

  let ready: T;
  try {
    ready = await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${script} not ready within ${readyTimeoutMs} ms:\n${stderr}`)),
        readyTimeoutMs,
      );
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        fn();
      };
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        try {
          const value = isReady(stdout);
          if (value !== undefined) settle(() => resolve(value));
        } catch (err) {
          settle(() => reject(err as Error));
        }
      });
      void child.then((r) =>
        settle(() =>
          reject(new Error(`${script} exited (${r.exitCode}) before ready:\n${stderr}`)),
        ),
      );
    });
  } catch (err) {
    await crash();
    throw err;
  }

  return {
    pid,
    ready,
    stdout: () => stdout,
    stderr: () => stderr,
    crash,
    async stop() {
      child.kill('SIGTERM');
      return child;
    },
    [Symbol.asyncDispose]: crash,
  };
}

/** SIGKILLs the process group led by `pid`, ignoring a group that is already gone. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

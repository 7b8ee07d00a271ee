/**
 * The real server for the benchmarks that measure through HTTP: `stator serve` started as
 * `npm start` starts it (the chaos tests' child-process server: node with the service's V8
 * flags, `--import tsx src/cli.ts serve`, SQLite store, a free port of 127.0.0.1, no token) on a
 * fresh temp directory, its process host found through `<dataDir>/host/host.json`, and a stop
 * that leaves nothing behind: the server, then its host, then any process that refers to the
 * directory.
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveConnectHostOptions, resolveHostPaths } from '../../src/host/index.ts';
import { HOST_MAIN, HOST_NODE_FLAGS } from '../../src/host/start-host.ts';
import { findHostPids, isAlive, killHard, sweep } from '../../test/chaos/procfs.ts';
import type { ServerProcess } from '../../test/chaos/server-process.ts';

/** A temp directory with an empty data directory and an empty workflows directory. */
export interface BenchDirs {
  dir: string;
  dataDir: string;
  workflowsDir: string;
}

/** Creates the directories of one server (removed by `stopAndSweep`). */
export function benchDirs(prefix: string): BenchDirs {
  const dir = mkdtempSync(join(tmpdir(), `stator-bench-${prefix}-`));
  const dataDir = join(dir, 'data');
  const workflowsDir = join(dir, 'workflows');
  mkdirSync(dataDir);
  mkdirSync(workflowsDir);
  return { dir, dataDir, workflowsDir };
}

/** The pid of the running process host of `dataDir`, from its `host.json`. */
export function hostPidOf(dataDir: string): number {
  const info = JSON.parse(readFileSync(resolveHostPaths(dataDir).infoFile, 'utf8')) as {
    pid: number;
  };
  if (!isAlive(info.pid)) throw new Error(`process host ${info.pid} of ${dataDir} is not running`);
  return info.pid;
}

/**
 * For profiling only: starts the process host of `dataDir` as the server would (same entry, V8
 * flags and default configuration) plus `--cpu-prof` into `profileDir` (written when it exits on
 * SIGTERM), and waits for its `host.json`. A server started next connects to it.
 */
export async function startProfiledHost(dataDir: string, profileDir: string): Promise<number> {
  const paths = resolveHostPaths(dataDir);
  const o = resolveConnectHostOptions({ dataDir });
  const config = {
    dataDir: paths.dataDir,
    socketPath: paths.socketPath,
    idleMs: o.idleMs,
    killGraceMs: o.killGraceMs,
    maxLineLength: o.maxLineLength,
    spoolBytes: o.spoolBytes,
    exitDrainMs: o.exitDrainMs,
    shell: o.shell,
  };
  const child = spawn(
    process.execPath,
    [
      ...HOST_NODE_FLAGS,
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
      HOST_MAIN,
      JSON.stringify(config),
    ],
    { detached: true, stdio: 'ignore', env: {}, cwd: '/' },
  );
  child.unref();
  const deadline = Date.now() + 10_000;
  while (!existsSync(paths.infoFile)) {
    if (Date.now() > deadline) throw new Error('the profiled host did not start');
    await sleep(20);
  }
  return hostPidOf(dataDir);
}

const PROFILER = fileURLToPath(new URL('cpu-profile-preload.mjs', import.meta.url));

/**
 * The environment that makes a server started by `startServer` write a CPU profile into `dir`
 * at its exit (bench/lib/cpu-profile-preload.mjs: node refuses --cpu-prof in NODE_OPTIONS);
 * `{}` when `dir` is undefined. A server killed with SIGKILL writes none.
 */
export function profileEnv(dir: string | undefined): Record<string, string> {
  if (dir === undefined) return {};
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  return { NODE_OPTIONS: `--import ${PROFILER}`, BENCH_CPU_PROF_DIR: abs };
}

/** What `stopAndSweep` found. */
export interface StopReport {
  /** The host exited by itself after the server's graceful stop (nothing left to hold). */
  hostExitedWithServer: boolean;
  /** Processes that had to be killed at the end (pid and command line): should be none. */
  swept: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function gone(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/**
 * Stops `servers` (SIGTERM to a running one: a graceful stop, which writes a `--cpu-prof`
 * profile), then the process host of `dirs.dataDir` (SIGTERM, SIGKILL after 3 s) unless it
 * exited by itself, then kills whatever still refers to the directory, and removes it.
 */
export async function stopAndSweep(
  servers: readonly ServerProcess[],
  dirs: BenchDirs,
): Promise<StopReport> {
  const hosts = findHostPids(
    dirs.dataDir,
    servers.map((s) => s.pid),
  );
  for (const s of servers) if (s.running()) await s.terminate();
  const hostExitedWithServer = await gone(hosts, 3000);
  for (const pid of hosts.filter(isAlive)) process.kill(pid, 'SIGTERM');
  if (!(await gone(hosts, 3000))) hosts.forEach(killHard);
  const swept = await sweep(dirs.dir);
  rmSync(dirs.dir, { recursive: true, force: true });
  return { hostExitedWithServer, swept };
}

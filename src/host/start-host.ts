/**
 * Starting a host: bare `node` running src/host/host-main.js (plain JavaScript, no loader, so a
 * small heap), detached into its own session and process group so that neither a signal to the
 * server's group nor the server's death reaches it, stdio to `host.log`, an empty environment,
 * and `unref()` so the server never waits for it.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, renameSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HostPaths } from './host-paths.js';

/** The host's entry point. */
export const HOST_MAIN = fileURLToPath(new URL('./host-main.js', import.meta.url));

/**
 * V8 flags of the host: a small young generation keeps its resident size (and so the cost of
 * each fork) low; the host allocates little per spawn.
 */
export const HOST_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/** The log is rotated (one old copy) past this size when a host starts. */
const MAX_LOG_BYTES = 1024 * 1024;

/** What a host is started with (validated again by the host). */
export interface HostConfig {
  dataDir: string;
  socketPath: string;
  idleMs: number;
  killGraceMs: number;
  maxLineLength: number;
  spoolBytes: number;
  exitDrainMs: number;
  shell: string;
}

/** Starts a host process for `paths` and returns it (already unref'd). */
export function startHost(paths: HostPaths, config: HostConfig): ChildProcess {
  rotateLog(paths.logFile);
  const log = openSync(paths.logFile, 'a', 0o600);
  try {
    const child = spawn(process.execPath, [...HOST_NODE_FLAGS, HOST_MAIN, JSON.stringify(config)], {
      detached: true,
      stdio: ['ignore', log, log],
      env: {},
      cwd: '/',
    });
    child.on('error', () => undefined); // reported through the exit and the failed connect
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

/** The last lines of the host log, for an error message. */
export function logTail(paths: HostPaths, lines = 5): string {
  try {
    return readFileSync(paths.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function rotateLog(file: string): void {
  try {
    if (statSync(file).size > MAX_LOG_BYTES) renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
}

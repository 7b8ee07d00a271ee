/**
 * `connectHost()`: the server's handle on its data directory's process host. It connects to the
 * running host, or (with `startIfMissing`) reaps what a dead host left and starts a new one, and
 * returns a client that is both the ProcessRunner seam (`run`, `killAll`) and the lower-level
 * API the runtime uses to re-attach steps and sessions after a restart.
 *
 * A closed connection is final: pending calls and attached runs fail with UnavailableError and
 * `closed` resolves; connect again and re-attach by key (the host kept the processes).
 * @module
 */
import { readFileSync } from 'node:fs';
import { isProcessGroupAlive } from '../exec/index.ts';
import type { ProcessRunner } from '../exec/index.ts';
import { UnavailableError, type StatorError } from '../errors.ts';
import type { AttachHandlers } from './attach-handlers.ts';
import { HostConnection } from './host-connection.ts';
import { resolveConnectHostOptions, type ConnectHostOptions } from './host-options.ts';
import type { ResolvedConnectHostOptions } from './host-options.ts';
import { resolveHostPaths, type HostPaths } from './host-paths.js';
import { createHostRunner } from './host-runner.ts';
import {
  attachResultSchema,
  emptyResultSchema,
  EXIT_LOCKED,
  listResultSchema,
  shutdownResultSchema,
  spawnResultSchema,
} from './protocol.js';
import type {
  AttachResult,
  HeldProcessInfo,
  HostEvent,
  HostSignal,
  HostSpawnSpec,
  SpawnResult,
} from './protocol-types.ts';
import { reapDeadHost, type DeadHostReport } from './reap-dead-host.ts';
import { logTail, startHost } from './start-host.ts';

/** Where to start following a process, and what to do with its events. */
export interface AttachRequest {
  /** @default 0 */
  fromOffset?: number;
  /** Also receive the unfinished last line of each stream. @default false */
  partials?: boolean;
  handlers: AttachHandlers;
}

/** A connection to a process host: the ProcessRunner seam plus the host's own calls. */
export interface HostClient extends ProcessRunner {
  readonly hostPid: number;
  /** Random id of the host process; a new one means the host was restarted. */
  readonly instance: string;
  readonly paths: HostPaths;
  /** What a dead host left, when this call started a new host; null when a live one answered. */
  readonly reaped: DeadHostReport | null;
  /** Resolves with the reason once the connection is closed. */
  readonly closed: Promise<StatorError>;
  /**
   * Starts `spec`, or returns the process already held under its key (starting nothing). With
   * `releaseOnExit` the host forgets a process it started once its exit was delivered (for
   * callers that will never re-attach).
   */
  spawn(
    spec: HostSpawnSpec,
    attach?: AttachRequest,
    options?: { releaseOnExit?: boolean },
  ): Promise<SpawnResult>;
  /** Follows a held process: its spool from `fromOffset`, then live lines, then its exit. */
  attach(key: string, attach: AttachRequest): Promise<AttachResult>;
  /** Stops following a process (it keeps running). */
  detach(key: string): Promise<void>;
  /** Every held process with its state and spool offsets. */
  list(): Promise<HeldProcessInfo[]>;
  /** Forgets an ended or lost process (its spool and record); a conflict while it runs. */
  release(key: string): Promise<void>;
  /** Sends a signal to the process's whole group. */
  signal(key: string, signal: HostSignal): Promise<void>;
  /** TERM to the group, KILL after its grace; the exit (cancelled) arrives as an event. */
  cancel(key: string): Promise<void>;
  /** Writes to stdin (spawned with `stdin: 'pipe'`). */
  write(key: string, data: string): Promise<void>;
  closeStdin(key: string): Promise<void>;
  /**
   * Stops the host: with `killProcesses` after cancelling every process, else once they ended on
   * their own (no new spawns meanwhile). Resolves once the host process is gone.
   */
  shutdown(options: { killProcesses: boolean }): Promise<void>;
  /**
   * Arms the host's leash for `ms` (0 disarms it): unless renewed within `ms`, the host stops
   * every running process and records it `lost`. Cluster nodes renew it (see HostServer.leash).
   */
  leash(ms: number): Promise<void>;
  /** Disconnects; the host keeps its processes (and exits when idle). */
  close(): void;
}

/** Connects to the host of `options.dataDir`, starting one when none runs (by default). */
export async function connectHost(options: ConnectHostOptions): Promise<HostClient> {
  const opts = resolveConnectHostOptions(options);
  const paths = resolveHostPaths(opts.dataDir);
  const deadline = Date.now() + opts.connectTimeoutMs;
  let reaped: DeadHostReport | null = null;
  let exited: number | null | undefined;
  for (let started = false; ;) {
    try {
      const conn = await HostConnection.open(
        socketPath(paths),
        opts.clientName,
        opts.connectTimeoutMs,
      );
      return createHostClient(conn, paths, opts, reaped);
    } catch (err) {
      if (!notListening(err)) throw err;
      if (!opts.startIfMissing) {
        throw new UnavailableError(`no process host runs for '${paths.dataDir}'`, err);
      }
      if (!started) {
        reaped = await reapDeadHost({ dataDir: paths.dataDir });
        if (!reaped.hostAlive) {
          startHost(paths, hostConfig(paths, opts)).once('exit', (code) => (exited = code));
          started = true;
        }
      }
      if (exited !== undefined && exited !== EXIT_LOCKED) {
        throw new UnavailableError(`the process host exited (${exited}): ${logTail(paths)}`);
      }
      if (Date.now() > deadline) {
        throw new UnavailableError(
          `no process host answered within ${opts.connectTimeoutMs} ms: ${logTail(paths)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 15));
    }
  }
}

function createHostClient(
  conn: HostConnection,
  paths: HostPaths,
  opts: ResolvedConnectHostOptions,
  reaped: DeadHostReport | null,
): HostClient {
  const followers = new Map<string, AttachHandlers>();
  conn.onEvent = (event) => deliver(followers, event);
  const empty = async (body: Parameters<HostConnection['request']>[0]) => {
    await conn.request(body, emptyResultSchema);
  };
  const follow = async <T>(key: string, a: AttachRequest, request: () => Promise<T>) => {
    followers.set(key, a.handlers);
    try {
      return await request();
    } catch (err) {
      if (followers.get(key) === a.handlers) followers.delete(key);
      throw err;
    }
  };
  const client = {
    hostPid: conn.hello.hostPid,
    instance: conn.hello.instance,
    paths,
    reaped,
    closed: conn.closed,
    spawn: function spawnOnHost(
      spec: HostSpawnSpec,
      a?: AttachRequest,
      options: { releaseOnExit?: boolean } = {},
    ) {
      const releaseOnExit = options.releaseOnExit ?? false;
      if (a === undefined) {
        return conn.request({ op: 'spawn', spec, releaseOnExit }, spawnResultSchema);
      }
      const attach = { fromOffset: a.fromOffset ?? 0, partials: a.partials ?? false };
      return follow(spec.key, a, () =>
        conn.request({ op: 'spawn', spec, attach, releaseOnExit }, spawnResultSchema),
      );
    },
    attach: function attachToHost(key: string, a: AttachRequest) {
      const fromOffset = a.fromOffset ?? 0;
      const partials = a.partials ?? false;
      return follow(key, a, () =>
        conn.request({ op: 'attach', key, fromOffset, partials }, attachResultSchema),
      );
    },
    detach: async (key: string) => {
      followers.delete(key);
      await empty({ op: 'detach', key });
    },
    list: async () => (await conn.request({ op: 'list' }, listResultSchema)).processes,
    release: (key: string) => empty({ op: 'release', key }),
    signal: (key: string, signal: HostSignal) => empty({ op: 'signal', key, signal }),
    cancel: (key: string) => empty({ op: 'cancel', key }),
    write: (key: string, data: string) => empty({ op: 'write', key, data }),
    closeStdin: (key: string) => empty({ op: 'closeStdin', key }),
    shutdown: async ({ killProcesses }: { killProcesses: boolean }) => {
      await conn.request({ op: 'shutdown', killProcesses }, shutdownResultSchema);
      await conn.closed;
      const until = Date.now() + 10_000;
      while (isProcessGroupAlive(conn.hello.hostPid) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    leash: (ms: number) => empty({ op: 'leash', ms }),
    close: () => conn.close(),
  };
  const runner = createHostRunner(client, opts);
  return { ...client, run: runner.run, killAll: runner.killAll };
}

/** Hands an event to the handlers of its key; a handler's error stays with it. */
function deliver(followers: Map<string, AttachHandlers>, e: HostEvent): void {
  const h = followers.get(e.key);
  if (h === undefined) return;
  try {
    if (e.type === 'output') h.output?.(e.lines, e.offset, e.skipped);
    else if (e.type === 'partial') h.partial?.(e.stream, e.text);
    else if (e.type === 'stdin-closed') h.stdinClosed?.();
    else {
      followers.delete(e.key);
      h.exit?.(e.process);
    }
  } catch {
    // A handler must not break the connection.
  }
}

/** The socket the running host recorded, else the one it would use. */
function socketPath(paths: HostPaths): string {
  try {
    const info = JSON.parse(readFileSync(paths.infoFile, 'utf8')) as { socketPath?: unknown };
    if (typeof info.socketPath === 'string') return info.socketPath;
  } catch {
    // no host recorded
  }
  return paths.socketPath;
}

/** True for the errors of a socket nobody listens on (no host, or a dead one's file). */
function notListening(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  // A reset or broken pipe during the handshake: a host that is shutting down or was just killed
  // (its socket not yet gone). Try again: the next attempt finds it gone, or a new one.
  return (
    code === 'ENOENT' ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    err instanceof UnavailableError
  );
}

function hostConfig(paths: HostPaths, opts: ResolvedConnectHostOptions) {
  return {
    dataDir: paths.dataDir,
    socketPath: paths.socketPath,
    idleMs: opts.idleMs,
    killGraceMs: opts.killGraceMs,
    maxLineLength: opts.maxLineLength,
    spoolBytes: opts.spoolBytes,
    exitDrainMs: opts.exitDrainMs,
    shell: opts.shell,
  };
}

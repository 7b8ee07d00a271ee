/**
 * The process host: a small long-lived process per data directory that spawns and holds every
 * step and session process apart from the server (pipes, bounded output spool on disk, exit
 * status), enforces deadlines, and outlives server restarts. The server drives it over a unix
 * socket with a versioned, zod-checked, newline-delimited JSON protocol. The host itself is plain
 * JavaScript (`host-main.js` and what it imports) so that it runs on bare `node` with a small
 * heap; this module is the server's side.
 *
 * Exports:
 * - `connectHost(options)`: connect (or reap a dead host and start one) and get a `HostClient`:
 *   the ProcessRunner seam (`run`, `killAll`) plus `spawn`, `attach`, `detach`, `list`,
 *   `release`, `signal`, `cancel`, `write`, `closeStdin`, `shutdown`, `close`.
 * - `reapDeadHost(options)`: at start, before anything runs, kill what a dead host left and list
 *   the lost and exited processes with their spool offsets.
 * - `resolveConnectHostOptions` and the `DEFAULT_*` constants: options.
 * - `acquireHostLock`: the one-holder lock (a cluster node takes its data directory with it).
 * - `resolveHostPaths`, `PROTOCOL_VERSION`, `MAX_MESSAGE_BYTES`, `MARKER_ENV`: the host's files and
 *   protocol facts.
 * - Types of the protocol (`HostSpawnSpec`, `HeldProcessInfo`, `ExitInfo`, ...).
 * @module
 */
export { connectHost } from './host-client.ts';
export { reconnectingHost } from './reconnecting-host.ts';
export type { AttachRequest, HostClient } from './host-client.ts';
export type { AttachHandlers } from './attach-handlers.ts';
export { reapDeadHost } from './reap-dead-host.ts';
export type { DeadHostReport, ReapDeadHostOptions } from './reap-dead-host.ts';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HOST_IDLE_MS,
  DEFAULT_HOST_MAX_LINE_LENGTH,
  DEFAULT_HOST_SPOOL_BYTES,
  resolveConnectHostOptions,
} from './host-options.ts';
export type { ConnectHostOptions, ResolvedConnectHostOptions } from './host-options.ts';
export { resolveHostPaths } from './host-paths.js';
export { acquireHostLock } from './lock.js';
export type { HostPaths } from './host-paths.js';
export { MARKER_ENV, MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from './protocol.js';
export type {
  AttachResult,
  ExitInfo,
  HeldProcessInfo,
  HeldState,
  HostSignal,
  HostSpawnSpec,
  LostInfo,
  OutputLine,
  OutputStream,
  SpawnResult,
  SpoolOffsets,
} from './protocol-types.ts';

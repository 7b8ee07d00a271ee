// @ts-check
/**
 * Where a data directory's process host keeps its things. One module names them all, for the
 * host, its client and the reaper.
 *
 * The socket is `<dataDir>/host/host.sock` unless that path is longer than a unix socket
 * address can hold (107 bytes on Linux); then it is `<tmpdir>/stator-host-<tag>.sock`, where
 * the tag is a hash of the data directory's real path. The host records the path it listens on
 * in `host.json`.
 * @module
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { mkdirSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Longest unix socket path (sun_path is 108 bytes with its terminating NUL). */
export const MAX_SOCKET_PATH_BYTES = 107;

/**
 * @typedef {object} HostPaths
 * @property {string} dataDir the data directory's real path
 * @property {string} dir `<dataDir>/host`
 * @property {string} tag hash of the data directory: names the lock, the fallback socket and the
 *   environment marker of its processes
 * @property {string} socketPath where the host listens
 * @property {string} journalFile
 * @property {string} spoolDir
 * @property {string} infoFile `host.json`: pid, socket path and protocol of the running host
 * @property {string} logFile the host's stdout and stderr
 * @property {string} lockName abstract unix socket held by the live host (Linux)
 * @property {string} lockFile pid-file lock where abstract sockets do not exist
 */

/**
 * Resolves (and creates, mode 0700) the host directories of `dataDir`.
 * @param {string} dataDir
 * @param {{ tmpDir?: string }} [options] where the fallback socket goes (default: os.tmpdir())
 * @returns {HostPaths}
 */
export function resolveHostPaths(dataDir, options = {}) {
  mkdirSync(join(dataDir, 'host', 'spool'), { recursive: true, mode: 0o700 });
  const root = realpathSync(resolve(dataDir));
  const dir = join(root, 'host');
  const tag = createHash('sha256').update(root).digest('hex').slice(0, 16);
  const preferred = join(dir, 'host.sock');
  const socketPath =
    Buffer.byteLength(preferred) <= MAX_SOCKET_PATH_BYTES
      ? preferred
      : join(options.tmpDir ?? tmpdir(), `stator-host-${tag}.sock`);
  return {
    dataDir: root,
    dir,
    tag,
    socketPath,
    journalFile: join(dir, 'journal'),
    spoolDir: join(dir, 'spool'),
    infoFile: join(dir, 'host.json'),
    logFile: join(dir, 'host.log'),
    lockName: `\0stator-host-${tag}`,
    lockFile: join(dir, 'host.lock'),
  };
}

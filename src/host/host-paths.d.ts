// Generated from host-paths.js: see test/unit/host/declarations.test.ts. Do not edit.
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
export function resolveHostPaths(
  dataDir: string,
  options?: {
    tmpDir?: string;
  },
): HostPaths;
/** Longest unix socket path (sun_path is 108 bytes with its terminating NUL). */
export const MAX_SOCKET_PATH_BYTES: 107;
export type HostPaths = {
  /**
   * the data directory's real path
   */
  dataDir: string;
  /**
   * `<dataDir>/host`
   */
  dir: string;
  /**
   * hash of the data directory: names the lock, the fallback socket and the
   * environment marker of its processes
   */
  tag: string;
  /**
   * where the host listens
   */
  socketPath: string;
  journalFile: string;
  spoolDir: string;
  /**
   * `host.json`: pid, socket path and protocol of the running host
   */
  infoFile: string;
  /**
   * the host's stdout and stderr
   */
  logFile: string;
  /**
   * abstract unix socket held by the live host (Linux)
   */
  lockName: string;
  /**
   * pid-file lock where abstract sockets do not exist
   */
  lockFile: string;
};

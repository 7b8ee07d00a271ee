// Generated from lock.js: see test/unit/host/declarations.test.ts. Do not edit.
/** @import { HostPaths } from './host-paths.js' */
/**
 * @typedef {object} HostLock
 * @property {() => Promise<void>} release frees the lock (also freed when the process dies)
 */
/**
 * Takes the lock of `paths`, or returns null when another live process holds it.
 * @param {Pick<HostPaths, 'lockName' | 'lockFile'>} paths
 * @returns {Promise<HostLock | null>}
 */
export function acquireHostLock(
  paths: Pick<HostPaths, 'lockName' | 'lockFile'>,
): Promise<HostLock | null>;
/**
 * The pid-file lock used where abstract sockets do not exist (exported for its tests).
 * @param {string} file
 * @returns {Promise<HostLock | null>}
 */
export function acquireFileLock(file: string): Promise<HostLock | null>;
export type HostLock = {
  /**
   * frees the lock (also freed when the process dies)
   */
  release: () => Promise<void>;
};
import type { HostPaths } from './host-paths.js';

// @ts-check
/**
 * The lock that allows one host per data directory, held by the live host for its whole life
 * and briefly by a reaper. On Linux it is a listening abstract unix socket named after the data
 * directory: binding is atomic, the kernel frees it when its holder dies (even by SIGKILL), and
 * there is no stale file to break, so two servers starting at once cannot both win. Elsewhere
 * it is a pid file created with O_EXCL; a file whose holder is dead is removed and retried once
 * (best effort: two contenders breaking the same stale file at the same instant may both win).
 * @module
 */
import process from 'node:process';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';

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
export function acquireHostLock(paths) {
  return process.platform === 'linux'
    ? abstractLock(paths.lockName)
    : acquireFileLock(paths.lockFile);
}

/**
 * @param {string} name
 * @returns {Promise<HostLock | null>}
 */
function abstractLock(name) {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', (/** @type {NodeJS.ErrnoException} */ err) => {
      if (err.code === 'EADDRINUSE') resolve(null);
      else reject(err);
    });
    server.listen(name, () => {
      server.unref(); // the lock alone never keeps a process alive
      resolve({ release: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

/**
 * The pid-file lock used where abstract sockets do not exist (exported for its tests).
 * @param {string} file
 * @returns {Promise<HostLock | null>}
 */
export async function acquireFileLock(file) {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return { release: async () => rmSync(file, { force: true }) };
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EEXIST') throw err;
    }
    if (holderAlive(file)) return null;
    rmSync(file, { force: true });
  }
  return null;
}

/** True when the pid in `file` is a live process (or the file cannot be read). */
function holderAlive(/** @type {string} */ file) {
  let pid;
  try {
    pid = Number(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
  }
}

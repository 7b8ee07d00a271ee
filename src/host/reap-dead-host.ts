/**
 * What the runtime calls at start, before anything runs: if the data directory's host is dead
 * (nobody holds its lock) but left records, kill every recorded process group still alive (same
 * pid AND start time: a reused pid is left alone) and every process of it that never got its
 * record, and report those keys as lost. The lost and exited entries stay held (the next host
 * adopts them): their output is still readable through `attach` until they are released.
 * @module
 */
import { acquireHostLock } from './lock.js';
import { resolveHostPaths } from './host-paths.js';
import { reapLeftovers, type ReapReport } from './reap.js';

/** Options of `reapDeadHost`. */
export interface ReapDeadHostOptions {
  dataDir: string;
  /** How long to wait for killed processes to vanish. @default 2000 */
  confirmMs?: number;
}

/** What `reapDeadHost` found. */
export interface DeadHostReport extends ReapReport {
  /**
   * True when the lock is held: a host is alive (nothing was reaped; ask it with `list()`), or
   * another server is reaping at this moment.
   */
  hostAlive: boolean;
}

/**
 * Kills what a dead host left running, marks it lost, and reports lost and exited entries with
 * their spool offsets. Holds the host lock meanwhile, so no host can start (or spawn) until it
 * is done; safe to call when a host is alive (it then does nothing).
 */
export async function reapDeadHost(options: ReapDeadHostOptions): Promise<DeadHostReport> {
  const paths = resolveHostPaths(options.dataDir);
  const lock = await acquireHostLock(paths);
  if (lock === null) return { hostAlive: true, lost: [], exited: [], killed: [] };
  try {
    const report = await reapLeftovers(
      paths,
      options.confirmMs === undefined ? {} : { confirmMs: options.confirmMs },
    );
    return { hostAlive: false, ...report };
  } finally {
    await lock.release();
  }
}

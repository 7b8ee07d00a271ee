/**
 * The process host of a cluster node. In embedded mode the host outlives the server and a
 * restart re-attaches to its processes. In cluster mode that would run a step twice: once the
 * node has been silent for the lease TTL, another node claims its runs and starts their running
 * steps again as lost attempts, while the dead node's host would still run the old ones. Two
 * rules close that window:
 *
 * - **The leash.** While the node runs, it renews the host's leash every `ms/4`, with `ms` half
 *   the lease TTL. A server killed or frozen stops renewing; the host then stops every process
 *   and records it `lost` after `ms`, well before another node may judge the holder dead (a TTL
 *   of silence). A process that ignores SIGTERM gets the kill grace on top.
 * - **Stale at start.** A restarted node is a new lease holder: whatever the host still holds
 *   belongs to its previous incarnation, whose runs are (or will be) claimed like any dead
 *   node's, possibly by another node. Every held process is stopped and released before the node
 *   takes any work; the runs re-run those steps as lost attempts wherever they are claimed.
 *
 * Because of the second rule one data directory serves one live node: a second node started on
 * it would stop the first one's processes, so it is refused (`lockNodeDataDir`).
 * @module
 */
import type { Logger } from 'pino';
import { every, sleep, type Clock } from '../../clock.ts';
import { ConflictError } from '../../errors.ts';
import { acquireHostLock, resolveHostPaths, type HostClient } from '../../host/index.ts';

/** How often a stopped process is looked for again while the start waits for it to end. */
const POLL_MS = 50;

/** The leash length for a lease TTL: half of it, renewed every quarter of that. */
export function leashMs(ttlMs: number): number {
  return Math.max(200, Math.floor(ttlMs / 2));
}

/**
 * Renews the host's leash until the returned function is called (which disarms it, so a node
 * that stopped gracefully leaves nothing to be stopped later). A failed renewal is logged once
 * per failure streak; the host reconnects on its own (reconnecting-host.ts).
 */
export function keepHostOnLeash(
  host: Pick<HostClient, 'leash'>,
  ttlMs: number,
  clock: Clock,
  logger: Logger,
): () => Promise<void> {
  const ms = leashMs(ttlMs);
  let failing = false;
  const renew = () =>
    host.leash(ms).then(
      () => void (failing = false),
      (err: unknown) => {
        if (!failing) logger.warn({ err }, 'could not renew the process host leash');
        failing = true;
      },
    );
  void renew();
  const stop = every(clock, Math.max(50, Math.floor(ms / 4)), () => void renew());
  return async () => {
    stop();
    await host.leash(0).catch(() => undefined);
  };
}

/**
 * Stops every process the host holds (a previous incarnation's) and releases them all; resolves
 * once none runs, or after the kill grace and a second more (then they are left to the leash).
 */
export async function stopStaleProcesses(
  host: Pick<HostClient, 'list' | 'cancel' | 'release'>,
  killGraceMs: number,
  clock: Clock,
  logger: Logger,
): Promise<number> {
  const held = await host.list();
  const running = held.filter((p) => p.state === 'running');
  await Promise.all(running.map((p) => host.cancel(p.key).catch(() => undefined)));
  const until = clock.now() + killGraceMs + 1000;
  while (clock.now() < until && (await host.list()).some((p) => p.state === 'running')) {
    await sleep(clock, POLL_MS);
  }
  for (const p of await host.list()) {
    if (p.state !== 'running') await host.release(p.key).catch(() => undefined);
  }
  if (held.length > 0) {
    logger.warn(
      { stopped: running.length, released: held.length },
      'cluster node restarted: stopped what its previous incarnation left in the process host',
    );
  }
  return running.length;
}

/**
 * Takes the data directory for this cluster node for as long as the process lives (the kernel
 * frees it when the process dies, even by SIGKILL); throws `conflict` while another node holds it.
 */
export async function lockNodeDataDir(dataDir: string): Promise<() => Promise<void>> {
  const paths = resolveHostPaths(dataDir);
  const lock = await acquireHostLock({
    lockName: `\0stator-node-${paths.tag}`,
    lockFile: `${paths.dataDir}/node.lock`,
  });
  if (lock === null) {
    throw new ConflictError(
      `another cluster node runs on the data directory '${dataDir}': give each node its own --data-dir`,
    );
  }
  return lock.release;
}

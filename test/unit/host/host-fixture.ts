/**
 * A private process host per test: a fresh data directory, clients connected to its host with a
 * short idle period, and a cleanup that leaves nothing running: every host started for the data
 * directory is shut down (killing its processes), a host killed by the test is reaped, and the
 * test fails if a host pid is still alive afterwards.
 * @module
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { connectHost, reapDeadHost } from '../../../src/host/index.ts';
import type { ConnectHostOptions, HostClient, HostSpawnSpec } from '../../../src/host/index.ts';
import { isGone, waitGone } from '../../fixtures/exec/process-tracker.ts';
import { waitFor } from '../../helpers/poll.ts';

/** One test's host. */
export interface HostFixture {
  readonly dataDir: string;
  /** Connects (starting the host if needed); the client is closed at cleanup. */
  connect(options?: Partial<ConnectHostOptions>): Promise<HostClient>;
  /** Host pids seen by this fixture. */
  readonly hostPids: Set<number>;
  /** A spec running `argv` in the data directory with only `PATH` in its environment. */
  spec(key: string, argv: string[]): HostSpawnSpec;
  /** Shuts every host down and removes the data directory; fails if a host survives. */
  cleanup(): Promise<void>;
}

/** Creates the fixture (call `cleanup()` in afterEach). */
export function hostFixture(defaults: Partial<ConnectHostOptions> = {}): HostFixture {
  const dataDir = mkdtempSync(join(tmpdir(), 'stator-host-'));
  const clients: HostClient[] = [];
  const hostPids = new Set<number>();
  const connect = async (options: Partial<ConnectHostOptions> = {}) => {
    const client = await connectHost({
      dataDir,
      idleMs: 30_000,
      connectTimeoutMs: 15_000,
      killGraceMs: 300,
      ...defaults,
      ...options,
    });
    clients.push(client);
    hostPids.add(client.hostPid);
    return client;
  };
  return {
    dataDir,
    connect,
    hostPids,
    spec: (key, argv) => ({
      key,
      argv,
      cwd: dataDir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    }),
    async cleanup() {
      try {
        // Shut down whatever host answers, until no host process of this data dir is left: a
        // host that lost the start race may still be booting and take the lock afterwards.
        await waitFor(
          async () => {
            const live = await connectHost({ dataDir, startIfMissing: false }).catch(() => null);
            if (live !== null) {
              hostPids.add(live.hostPid);
              await live.shutdown({ killProcesses: true });
            }
            return hostsOf(dataDir).every((pid) => isGone(pid));
          },
          { timeoutMs: 15_000, message: 'hosts of the data dir still running' },
        );
        await reapDeadHost({ dataDir }); // a host the test killed leaves its processes
        for (const c of clients) c.close();
        for (const pid of hostPids) expect(await waitGone(pid, 10_000), `host ${pid}`).toBe(true);
      } finally {
        rmSync(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
      }
    },
  };
}

/** Pids of host processes whose command line names `dataDir`. */
function hostsOf(dataDir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmdline.includes('host-main.js') && cmdline.includes(dataDir)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

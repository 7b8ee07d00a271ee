/**
 * The chaos rig: one temp directory per test (data dir, markers, empty workflows dir), the
 * server started and restarted on that data directory as a child process, kill -9 of the
 * server alone or of the server and its process host together, SIGTERM with timing, waits on
 * markers and on final records, the orphan check, and a cleanup that leaves nothing behind
 * even when the test failed (servers by pid, hosts, then a /proc sweep of anything that
 * refers to the temp directory).
 *
 *   const rig = await createRig('server-kill');          // inside the test
 *   afterEach(disposeRigs);                              // in the file
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFailed } from 'vitest';
import { waitFor } from '../helpers/poll.ts';
import { ChaosApi, FINAL_STATUSES, type ExecutionView } from './api.ts';
import { liveRecordedPids, readMarkers, type Marker } from './markers.ts';
import { findHostPids, isAlive, sweep } from './procfs.ts';
import { chaosSeed, seededRandom, type SeededRandom } from './seeded-random.ts';
import { startServer, type ServerProcess } from './server-process.ts';

/** Options of createRig. */
export interface RigOptions {
  /** Added to every server's environment (e.g. STATOR_SHUTDOWN_TIMEOUT). */
  env?: Record<string, string>;
  /** Extra `serve` flags. */
  args?: readonly string[];
}

/** When a server was up: from its "listening" line to its exit (or now). */
export interface UpInterval {
  from: number;
  to: number;
}

/** One test's world. */
export interface ChaosRig {
  readonly name: string;
  readonly dir: string;
  readonly dataDir: string;
  readonly markersDir: string;
  readonly random: SeededRandom;
  readonly api: ChaosApi;
  /** Every server started so far, the current one last. */
  readonly servers: ServerProcess[];
  /** The current server (throws when none was started). */
  server(): ServerProcess;
  /** Starts a server on the data directory (the first start, or a restart). */
  start(): Promise<ServerProcess>;
  /** kill -9 of the current server alone; resolves with the epoch ms of the kill. */
  kill9(): Promise<number>;
  /**
   * kill -9 of the current server and of every process host of the data directory in the
   * same tick; resolves with the kill time and the host pids found (none: no host).
   */
  kill9WithHost(): Promise<{ at: number; hostPids: number[] }>;
  /** Live process hosts of the data directory. */
  hostPids(): number[];
  /** Markers written so far. */
  markers(): Marker[];
  /** Polls the markers (every 2 ms) until `pick` returns one; throws after `timeoutMs`. */
  waitForMarker(pick: (m: Marker) => boolean, timeoutMs?: number): Promise<Marker>;
  /**
   * Polls every run of `ids` until it is final or `timeoutMs` passes (following restarts);
   * returns the last record read of each (a run never read maps to undefined).
   */
  waitFinal(ids: string[], timeoutMs: number): Promise<Map<string, ExecutionView | undefined>>;
  /** When servers were up, in order. */
  upIntervals(): UpInterval[];
  /** Step (and extra) pids still alive, after giving stragglers `graceMs` to exit. */
  orphans(extraPids?: number[], graceMs?: number): Promise<number[]>;
  /** Seed, directories, servers and their last output, the last markers: for a failure. */
  diagnostics(): string;
  /** Kills everything the test started and removes the temp dir; returns what the sweep killed. */
  dispose(): Promise<string[]>;
}

const rigs = new Set<ChaosRig>();

/** Disposes every rig still open (use as `afterEach(disposeRigs)`). */
export async function disposeRigs(): Promise<void> {
  const open = [...rigs];
  rigs.clear();
  for (const rig of open) {
    const leftovers = await rig.dispose();
    if (leftovers.length > 0)
      console.warn(`[chaos] ${rig.name}: swept\n  ${leftovers.join('\n  ')}`);
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Creates a rig; call inside a test (it prints the seed, and diagnostics if the test fails). */
export async function createRig(name: string, options: RigOptions = {}): Promise<ChaosRig> {
  const dir = mkdtempSync(join(tmpdir(), `stator-chaos-${name}-`));
  const dataDir = join(dir, 'data');
  const markersDir = join(dir, 'markers');
  const workflowsDir = join(dir, 'workflows');
  for (const d of [dataDir, markersDir, workflowsDir]) mkdirSync(d, { recursive: true });
  const random = seededRandom(chaosSeed());
  console.log(`[chaos] ${name}: seed ${random.seed} (STATOR_CHAOS_SEED=${random.seed} replays it)`);
  const servers: ServerProcess[] = [];
  const current = () => {
    const s = servers.at(-1);
    if (s === undefined) throw new Error('no server started');
    return s;
  };
  const api = new ChaosApi(() => current().url);
  const markers = () => readMarkers(markersDir);
  const serverPids = () => servers.map((s) => s.pid);

  const rig: ChaosRig = {
    name,
    dir,
    dataDir,
    markersDir,
    random,
    api,
    servers,
    server: current,
    async start() {
      const server = await startServer({
        dataDir,
        workflowsDir,
        env: options.env ?? {},
        args: options.args ?? [],
      });
      servers.push(server);
      return server;
    },
    kill9: () => current().kill9(),
    async kill9WithHost() {
      const server = current();
      const hostPids = findHostPids(dataDir, serverPids());
      const at = Date.now();
      for (const pid of hostPids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await server.kill9();
      await waitFor(() => hostPids.every((pid) => !isAlive(pid)), {
        timeoutMs: 5000,
        message: `process host ${hostPids.join(',')} still alive after SIGKILL`,
      });
      return { at, hostPids };
    },
    hostPids: () => findHostPids(dataDir, serverPids()),
    markers,
    async waitForMarker(pick, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = markers().find(pick);
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`no such marker within ${timeoutMs} ms`);
        await sleep(2);
      }
    },
    async waitFinal(ids, timeoutMs) {
      const last = new Map<string, ExecutionView | undefined>(ids.map((id) => [id, undefined]));
      const deadline = Date.now() + timeoutMs;
      let open = [...ids];
      while (open.length > 0 && Date.now() < deadline) {
        const still: string[] = [];
        for (const id of open) {
          try {
            const record = await api.execution(id);
            last.set(id, record);
            if (!FINAL_STATUSES.includes(record.status)) still.push(id);
          } catch {
            still.push(id); // server down or restarting: read again
          }
        }
        open = still;
        if (open.length > 0) await sleep(150);
      }
      return last;
    },
    upIntervals: () => servers.map((s) => ({ from: s.readyAt, to: s.exitedAt() ?? Infinity })),
    async orphans(extraPids = [], graceMs = 1500) {
      const pending = () => [...liveRecordedPids(markersDir), ...extraPids.filter(isAlive)];
      const deadline = Date.now() + graceMs;
      while (pending().length > 0 && Date.now() < deadline) await sleep(50);
      return pending();
    },
    diagnostics() {
      const lines = [
        `[chaos] ${name} failed; seed ${random.seed} (STATOR_CHAOS_SEED=${random.seed} replays it)`,
        `dir ${dir}`,
      ];
      servers.forEach((s, i) => {
        lines.push(
          `server #${i + 1} pid ${s.pid} ${s.url} start ${s.readyAt - s.spawnedAt} ms` +
            (s.running() ? ' (running)' : ''),
        );
      });
      const last = servers.at(-1);
      if (last) lines.push('last server output:', last.tail());
      lines.push(
        'last markers:',
        ...markers()
          .slice(-30)
          .map((m) => JSON.stringify(m)),
      );
      return lines.join('\n');
    },
    async dispose() {
      rigs.delete(rig);
      finalDiagnostics ??= rig.diagnostics();
      for (const s of servers) if (s.running()) await s.kill9();
      for (const pid of findHostPids(dataDir, serverPids())) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      const swept = await sweep(dir);
      for (const pid of liveRecordedPids(markersDir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
      return swept;
    },
  };
  // vitest runs onTestFailed after afterEach: dispose() keeps the diagnostics it can no longer read.
  let finalDiagnostics: string | undefined;
  rigs.add(rig);
  onTestFailed(() => console.error(finalDiagnostics ?? rig.diagnostics()));
  return rig;
}

/**
 * Issue 9's target, measured as a user meets it: a chain of `--steps` (300) steps `exec: [true]`
 * run by the real server (`npm start`: node --max-semi-space-size=64 --import tsx src/cli.ts
 * serve, SQLite store in a fresh temp dir, a free port of 127.0.0.1, no token), driven over
 * HTTP, against a raw `child_process.spawn` loop of as many `true` in a fresh bare node process
 * (the floor), in the same run.
 *
 * - Server: the workflow is registered with `POST /api/workflows`; a run is timed from the
 *   `POST /api/workflows/:id/execute` request until its final event arrives on the event stream
 *   (`GET /api/events?workflowId=…&type=execution.`, opened before the first run). The record
 *   (`GET /api/executions/:id`) then gives the server's own view: `createdAt` → `finishedAt`,
 *   the time inside steps (sum of each step's `startedAt` → `finishedAt`) and between them.
 *   One warm-up run first. CPU of the server and of its process host during each run is read
 *   from /proc.
 * - Floor: `bareSpawnLoop` (bench/lib/bare-spawn.ts): a new bare `node` process that spawns
 *   `true` as many times in a row, each awaited on 'close'.
 * - Attribution: the host path alone, as many sequential `run({ argv: ['true'] })` through a
 *   second client (`connectHost`) of the server's own process host, from this process: request,
 *   fork in the host, journal, exit event, release; no workflow engine, store or events.
 * Repetitions rotate the order of the three; ratios are medians of per-repetition ratios. CPU:
 * server + host per step against the bare loop's own CPU per spawn (less disturbed than wall
 * time by other load on the machine). Also reported: resident size of the server and of the
 * host after the warm-up and at the end.
 * The server and its host are stopped at the end (SIGTERM) and checked gone.
 *
 *   npx tsx bench/server-chain.ts [--steps 300] [--reps 5] [--cpu-prof DIR] [--host-prof DIR] [--json]
 *
 * `--cpu-prof DIR` writes a CPU profile of the server (through bench/lib/cpu-profile-preload.mjs,
 * since node refuses --cpu-prof in NODE_OPTIONS) into DIR at its exit;
 * `--host-prof DIR` one of the process host, which this script then starts itself before the
 * server (with the server's configuration of it). Profiles slow what they measure: not for
 * the figures.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ChaosApi, type ExecutionView } from '../test/chaos/api.ts';
import { startServer, type ServerProcess } from '../test/chaos/server-process.ts';
import { connectHost, type HostClient } from '../src/host/index.ts';
import { bareSpawnLoop, type SpawnSample } from './lib/bare-spawn.ts';
import { timedSpawnLoop } from './lib/spawn-loops.ts';
import { EventStream } from './lib/event-stream.ts';
import { num, ratio, spread } from './lib/format.ts';
import { cpuMsOf, memoryOf, type Memory } from './lib/proc-stats.ts';
import {
  benchDirs,
  hostPidOf,
  profileEnv,
  startProfiledHost,
  stopAndSweep,
} from './lib/served-stator.ts';
import { machineFacts, pairedRatio, summarize } from './lib/stats.ts';
import { chain, TRUE_STEP } from './lib/workflows.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '300' },
    reps: { type: 'string', default: '5' },
    'cpu-prof': { type: 'string' },
    'host-prof': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const STEPS = Number(values.steps);
const REPS = Number(values.reps);
const TARGET = 1.3;
const WORKFLOW = `chain-${STEPS}`;
const FINAL = new Set([
  'execution.completed',
  'execution.failed',
  'execution.cancelled',
  'execution.timed_out',
]);
const log = (line: string) => process.stderr.write(`[server-chain] ${line}\n`);

/** One run of the chain through the server. */
interface ChainSample {
  /** Execute request → final event received, ms. */
  ms: number;
  /** Execute request → 202 received, ms. */
  acceptMs: number;
  /** The record's `createdAt` → `finishedAt`, ms. */
  recordMs: number;
  /** Sum over steps of `startedAt` → `finishedAt` (ms resolution), ms. */
  inStepsMs: number;
  /** CPU ms of the server and of the host during the run. */
  serverCpuMs: number;
  hostCpuMs: number;
}

const ms = (iso: string | null) => (iso === null ? NaN : Date.parse(iso));

/** Runs the chain once and checks that every step ran once and succeeded. */
async function runChain(
  api: ChaosApi,
  events: EventStream,
  serverPid: number,
  hostPid: number,
): Promise<ChainSample> {
  const server0 = cpuMsOf(serverPid);
  const host0 = cpuMsOf(hostPid);
  const t0 = performance.now();
  const id = await api.execute(WORKFLOW);
  const acceptMs = performance.now() - t0;
  const [final] = await events.collect(
    (e) => e.executionId === id && FINAL.has(e.type),
    1,
    600_000,
  );
  const sample = {
    ms: final!.receivedAt - t0,
    acceptMs,
    serverCpuMs: cpuMsOf(serverPid) - server0,
    hostCpuMs: cpuMsOf(hostPid) - host0,
  };
  const record = await api.execution(id);
  const bad = record.steps.filter((s) => s.status !== 'succeeded' || s.attempts !== 1);
  if (record.status !== 'completed' || record.steps.length !== STEPS || bad.length > 0) {
    throw new Error(`run ${id} ended ${record.status}; ${bad.length} steps not run once`);
  }
  const created = (record as ExecutionView & { createdAt: string }).createdAt;
  return {
    ...sample,
    recordMs: ms(record.finishedAt) - ms(created),
    inStepsMs: record.steps.reduce((sum, s) => sum + ms(s.finishedAt) - ms(s.startedAt), 0),
  };
}

/** Everything one invocation measured. */
interface Measured {
  runs: ChainSample[];
  bare: SpawnSample[];
  hostOnly: SpawnSample[];
  memWarm: { server: Memory; host: Memory };
  memEnd: { server: Memory; host: Memory };
  hostExitedWithServer: boolean;
  swept: string[];
  loadBefore: number;
}

async function main(): Promise<void> {
  const dirs = benchDirs('server-chain');
  const hostProfileDir =
    values['host-prof'] === undefined ? undefined : resolve(values['host-prof']);
  if (hostProfileDir) mkdirSync(hostProfileDir, { recursive: true });
  const servers: ServerProcess[] = [];
  let events: EventStream | undefined;
  let direct: HostClient | undefined;
  let stopped = false;
  const loadBefore = loadavg()[0]!;
  try {
    if (hostProfileDir) await startProfiledHost(dirs.dataDir, hostProfileDir);
    const server = await startServer({
      dataDir: dirs.dataDir,
      workflowsDir: dirs.workflowsDir,
      env: profileEnv(values['cpu-prof']),
    });
    servers.push(server);
    log(
      `server ${server.pid} listening on ${server.url} after ${server.readyAt - server.spawnedAt} ms`,
    );
    const api = new ChaosApi(() => server.url);
    await api.register(chain(WORKFLOW, STEPS, TRUE_STEP));
    events = await EventStream.open(server.url, { workflowId: WORKFLOW, type: 'execution.' });
    const hostPid = hostPidOf(dirs.dataDir);
    // A second client of the server's own host, from this process: the host path alone.
    const client = await connectHost({ dataDir: dirs.dataDir, clientName: 'bench' });
    direct = client;
    const viaHost = () => client.run({ argv: ['true'] });

    const warm = await runChain(api, events, server.pid, hostPid);
    await timedSpawnLoop(viaHost, 50, 1);
    log(`warm-up: ${num(warm.ms)} ms`);
    const memWarm = { server: memoryOf(server.pid), host: memoryOf(hostPid) };
    const bare: SpawnSample[] = [];
    const hostOnly: SpawnSample[] = [];
    const runs: ChainSample[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      const order = [
        async () => bare.push(await bareSpawnLoop(STEPS)),
        async () => runs.push(await runChain(api, events!, server.pid, hostPid)),
        async () => hostOnly.push(await timedSpawnLoop(viaHost, STEPS, 1, hostPid)),
      ];
      for (let i = 0; i < order.length; i++) await order[(i + rep) % order.length]!();
      log(
        `rep ${rep + 1}/${REPS}: server ${num(runs.at(-1)!.ms)} ms, ` +
          `host alone ${num(hostOnly.at(-1)!.ms)} ms, bare ${num(bare.at(-1)!.ms)} ms`,
      );
    }
    const memEnd = { server: memoryOf(server.pid), host: memoryOf(hostPid) };
    client.close();
    direct = undefined;
    events.close();
    events = undefined;
    const stop = await stopAndSweep(servers, dirs);
    stopped = true;
    report({ runs, bare, hostOnly, memWarm, memEnd, ...stop, loadBefore });
  } finally {
    direct?.close();
    events?.close();
    if (!stopped) await stopAndSweep(servers, dirs);
  }
}

function report(m: Measured): void {
  const { runs, bare, hostOnly } = m;
  const pick = (f: (r: ChainSample) => number) => summarize(runs.map(f));
  const perStep = (xs: SpawnSample[], f: (x: SpawnSample) => number) =>
    summarize(xs.map((x) => f(x) / STEPS));
  const paired = pairedRatio(
    runs.map((r) => r.ms),
    bare.map((b) => b.ms),
  );
  const summary = {
    bench: 'server-chain',
    steps: STEPS,
    reps: REPS,
    serverChainMs: pick((r) => r.ms),
    serverMsPerStep: pick((r) => r.ms / STEPS),
    acceptMs: pick((r) => r.acceptMs),
    recordMs: pick((r) => r.recordMs),
    inStepsMsPerStep: pick((r) => r.inStepsMs / STEPS),
    betweenStepsMsPerStep: pick((r) => (r.recordMs - r.inStepsMs) / STEPS),
    serverCpuMsPerStep: pick((r) => r.serverCpuMs / STEPS),
    hostCpuMsPerStep: pick((r) => r.hostCpuMs / STEPS),
    bareLoopMs: summarize(bare.map((b) => b.ms)),
    bareMsPerSpawn: perStep(bare, (b) => b.ms),
    bareCpuMsPerSpawn: perStep(bare, (b) => b.cpuMs),
    bareRssMiB: summarize(bare.map((b) => b.rssMiB ?? NaN)),
    hostOnlyMsPerSpawn: perStep(hostOnly, (h) => h.ms),
    hostOnlyCpuMsPerSpawn: perStep(hostOnly, (h) => h.cpuMs),
    ratio: paired,
    hostOnlyRatio: pairedRatio(
      hostOnly.map((h) => h.ms),
      bare.map((b) => b.ms),
    ),
    serverOverHostOnly: pairedRatio(
      runs.map((r) => r.ms),
      hostOnly.map((h) => h.ms),
    ),
    cpuRatio: pairedRatio(
      runs.map((r) => r.serverCpuMs + r.hostCpuMs),
      bare.map((b) => b.cpuMs),
    ),
    target: TARGET,
    met: paired.median <= TARGET,
    rssMiB: { afterWarmUp: m.memWarm, end: m.memEnd },
    hostExitedWithServer: m.hostExitedWithServer,
    leftBehind: m.swept,
    loadBefore: m.loadBefore,
    loadAfter: loadavg()[0]!,
    machine: machineFacts(),
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const f = summary.machine;
  const line = (label: string, value: string) => console.log(`  ${label.padEnd(50)} ${value}`);
  console.log(
    `${STEPS}-step chain of exec: [true] through the server vs a bare spawn loop; ${REPS} ` +
      `repetitions; ${f.cpus}× ${f.cpuModel}, node ${f.node}; ` +
      `load ${num(m.loadBefore)} → ${num(summary.loadAfter)}`,
  );
  console.log('median (min–max)');
  line('server: execute → final event, ms/chain', spread(summary.serverChainMs));
  line('server: ms/step', spread(summary.serverMsPerStep));
  line(`bare spawn loop, ms/${STEPS} spawns`, spread(summary.bareLoopMs));
  line('bare spawn loop, ms/spawn', spread(summary.bareMsPerSpawn));
  line(
    `ratio server / bare (paired; target ≤ ${TARGET})`,
    `${ratio(paired)} ${summary.met ? 'met' : 'MISSED'}`,
  );
  line('host alone (client.run from here), ms/spawn', spread(summary.hostOnlyMsPerSpawn));
  line('ratio host alone / bare (paired)', ratio(summary.hostOnlyRatio));
  line('ratio server / host alone (paired)', ratio(summary.serverOverHostOnly));
  line('execute → 202, ms', spread(summary.acceptMs));
  line('record createdAt → finishedAt, ms', spread(summary.recordMs));
  line('inside steps (startedAt → finishedAt), ms/step', spread(summary.inStepsMsPerStep));
  line('between steps, ms/step', spread(summary.betweenStepsMsPerStep));
  line(
    'CPU ms/step: server | host',
    `${spread(summary.serverCpuMsPerStep)} | ${spread(summary.hostCpuMsPerStep)}`,
  );
  line('CPU ms/spawn: host alone (this client + host)', spread(summary.hostOnlyCpuMsPerSpawn));
  line('CPU ms/spawn: bare loop', spread(summary.bareCpuMsPerSpawn));
  line('CPU ratio (server + host) / bare (paired)', ratio(summary.cpuRatio));
  line('RSS of the bare loop process, MiB', spread(summary.bareRssMiB));
  const mem = (x: Memory) => `${num(x.rss)} MiB (peak ${num(x.hwm)})`;
  line('RSS after warm-up: server | host', `${mem(m.memWarm.server)} | ${mem(m.memWarm.host)}`);
  line('RSS at the end: server | host', `${mem(m.memEnd.server)} | ${mem(m.memEnd.host)}`);
  line('host exited with the server (SIGTERM)', String(m.hostExitedWithServer));
  line('processes left behind', m.swept.length === 0 ? 'none' : m.swept.join('; '));
}

await main();

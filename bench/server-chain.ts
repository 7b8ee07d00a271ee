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
 * Repetitions alternate the order of the two; the ratio is the median of per-repetition ratios.
 * Also reported: resident size of the server and of the host after the warm-up and at the end.
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
import { bareSpawnLoop, type SpawnSample } from './lib/bare-spawn.ts';
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

async function main(): Promise<void> {
  const dirs = benchDirs('server-chain');
  const hostProfileDir =
    values['host-prof'] === undefined ? undefined : resolve(values['host-prof']);
  if (hostProfileDir) mkdirSync(hostProfileDir, { recursive: true });
  const servers: ServerProcess[] = [];
  let events: EventStream | undefined;
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

    const warm = await runChain(api, events, server.pid, hostPid);
    log(`warm-up: ${num(warm.ms)} ms`);
    const memWarm = { server: memoryOf(server.pid), host: memoryOf(hostPid) };
    const bare: SpawnSample[] = [];
    const runs: ChainSample[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      const order = [
        async () => bare.push(await bareSpawnLoop(STEPS)),
        async () => runs.push(await runChain(api, events!, server.pid, hostPid)),
      ];
      if (rep % 2) order.reverse();
      for (const step of order) await step();
      log(
        `rep ${rep + 1}/${REPS}: server ${num(runs.at(-1)!.ms)} ms, bare ${num(bare.at(-1)!.ms)} ms`,
      );
    }
    const memEnd = { server: memoryOf(server.pid), host: memoryOf(hostPid) };
    events.close();
    events = undefined;
    const stop = await stopAndSweep(servers, dirs);
    report(runs, bare, memWarm, memEnd, stop.hostExitedWithServer, stop.swept, loadBefore);
  } finally {
    events?.close();
    if (servers.some((s) => s.running())) await stopAndSweep(servers, dirs);
  }
}

function report(
  runs: ChainSample[],
  bare: SpawnSample[],
  memWarm: { server: Memory; host: Memory },
  memEnd: { server: Memory; host: Memory },
  hostExitedWithServer: boolean,
  swept: string[],
  loadBefore: number,
): void {
  const pick = (f: (r: ChainSample) => number) => summarize(runs.map(f));
  const chainMs = pick((r) => r.ms);
  const bareMs = summarize(bare.map((b) => b.ms));
  const paired = pairedRatio(
    runs.map((r) => r.ms),
    bare.map((b) => b.ms),
  );
  const summary = {
    bench: 'server-chain',
    steps: STEPS,
    reps: REPS,
    serverChainMs: chainMs,
    serverMsPerStep: pick((r) => r.ms / STEPS),
    acceptMs: pick((r) => r.acceptMs),
    recordMs: pick((r) => r.recordMs),
    inStepsMsPerStep: pick((r) => r.inStepsMs / STEPS),
    betweenStepsMsPerStep: pick((r) => (r.recordMs - r.inStepsMs) / STEPS),
    serverCpuMsPerStep: pick((r) => r.serverCpuMs / STEPS),
    hostCpuMsPerStep: pick((r) => r.hostCpuMs / STEPS),
    bareLoopMs: bareMs,
    bareMsPerSpawn: summarize(bare.map((b) => b.ms / STEPS)),
    bareCpuMsPerSpawn: summarize(bare.map((b) => b.cpuMs / STEPS)),
    bareRssMiB: summarize(bare.map((b) => b.rssMiB ?? NaN)),
    ratio: paired,
    target: TARGET,
    met: paired.median <= TARGET,
    rssMiB: { afterWarmUp: memWarm, end: memEnd },
    hostExitedWithServer,
    leftBehind: swept,
    loadBefore,
    loadAfter: loadavg()[0]!,
    machine: machineFacts(),
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const f = summary.machine;
  const line = (label: string, value: string) => console.log(`  ${label.padEnd(44)} ${value}`);
  console.log(
    `${STEPS}-step chain of exec: [true] through the server vs a bare spawn loop; ${REPS} ` +
      `repetitions; ${f.cpus}× ${f.cpuModel}, node ${f.node}; load ${num(loadBefore)} → ${num(summary.loadAfter)}`,
  );
  console.log('median (min–max)');
  line('server: execute → final event, ms/chain', spread(chainMs));
  line('server: ms/step', spread(summary.serverMsPerStep));
  line(`bare spawn loop, ms/${STEPS} spawns`, spread(bareMs));
  line('bare spawn loop, ms/spawn', spread(summary.bareMsPerSpawn));
  line(
    `ratio server / bare (paired; target ≤ ${TARGET})`,
    `${ratio(paired)} ${summary.met ? 'met' : 'MISSED'}`,
  );
  line('execute → 202, ms', spread(summary.acceptMs));
  line('record createdAt → finishedAt, ms', spread(summary.recordMs));
  line('inside steps (startedAt → finishedAt), ms/step', spread(summary.inStepsMsPerStep));
  line('between steps, ms/step', spread(summary.betweenStepsMsPerStep));
  line(
    'CPU ms/step: server | host',
    `${spread(summary.serverCpuMsPerStep)} | ${spread(summary.hostCpuMsPerStep)}`,
  );
  line('CPU ms/spawn: bare loop', spread(summary.bareCpuMsPerSpawn));
  const mem = (m: Memory) => `${num(m.rss)} MiB (peak ${num(m.hwm)})`;
  line('RSS of the bare loop process', `${spread(summary.bareRssMiB)} MiB`);
  line('RSS after warm-up: server | host', `${mem(memWarm.server)} | ${mem(memWarm.host)}`);
  line('RSS at the end: server | host', `${mem(memEnd.server)} | ${mem(memEnd.host)}`);
  line('host exited with the server (SIGTERM)', String(hostExitedWithServer));
  line('processes left behind', swept.length === 0 ? 'none' : swept.join('; '));
}

await main();

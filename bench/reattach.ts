/**
 * The cost of re-attachment: `--runs` (100) runs, each one `exec` step that prints `begin`,
 * sleeps 0.5 s, prints `during`, sleeps the rest of `--sleep` (8 s in all) and prints `end`, are
 * in flight when the server is killed with SIGKILL; the server is started again on the same data
 * directory (its process host and the step processes never stopped). Against the same number
 * started fresh on the same server, in the same repetition.
 *
 * Each repetition uses a new temp directory and the real server as `npm start` runs it
 * (bench/lib/served-stator.ts, `--slots <runs>` so that every run holds a slot at once):
 * 1. cold start on the empty data directory (spawn → listening);
 * 2. fresh: `--runs` executes (16 requests in flight), timed from the first request until every
 *    step has started (`step.started`) and until every run is final;
 * 3. restart: `--runs` more executes; once every step has printed `begin`, kill -9 of the server
 *    alone, and a new server on the same data directory. Its event stream is read from the
 *    start (`lastEventId=0`), so events published before it listened count too. Timed from the
 *    new server's spawn: listening, every step re-attached (`step.started` with `resumed: true`),
 *    every `during` line not seen before the kill (printed 0.5 s after `begin`: while no server
 *    ran) replayed, every run final.
 * Event times are the server's stamps (`ts`). "Exit → final" is, per run, the run's `finishedAt`
 * minus its step's `startedAt` + the sleep: how long after its process could have ended the run
 * was final (the floor of a run is its sleep). Every run must complete with one attempt, no lost
 * attempt, and `begin`, `during`, `end` once each in its log.
 *
 *   npx tsx bench/reattach.ts [--runs 100] [--sleep 8] [--reps 3] [--json]
 * @module
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ChaosApi, type ExecutionView } from '../test/chaos/api.ts';
import { startServer, type ServerProcess } from '../test/chaos/server-process.ts';
import { EventStream, type StreamedEvent } from './lib/event-stream.ts';
import { num, spread } from './lib/format.ts';
import { pool } from './lib/pool.ts';
import { memoryOf, type Memory } from './lib/proc-stats.ts';
import { benchDirs, hostPidOf, stopAndSweep, type BenchDirs } from './lib/served-stator.ts';
import { machineFacts, summarize, type Summary } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    sleep: { type: 'string', default: '8' },
    reps: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const SLEEP_S = Number(values.sleep);
const REPS = Number(values.reps);
const DURING_S = 0.5;
if (!(SLEEP_S > DURING_S)) throw new Error(`--sleep must exceed ${DURING_S} (seconds)`);
const WORKFLOW = 'reattach-bench';
const TIMEOUT_MS = 180_000;
const FINAL = new Set([
  'execution.completed',
  'execution.failed',
  'execution.cancelled',
  'execution.timed_out',
]);
const log = (line: string) => process.stderr.write(`[reattach] ${line}\n`);

const DOC = {
  id: WORKFLOW,
  steps: [
    {
      id: 'work',
      exec: [
        'sh',
        '-c',
        `echo begin; sleep ${DURING_S}; echo during; sleep ${SLEEP_S - DURING_S}; echo end`,
      ],
    },
  ],
};

/** Epoch ms of an event's server stamp. */
const at = (e: StreamedEvent) => Date.parse(e.ts);
const latest = (events: StreamedEvent[]) => Math.max(...events.map(at));
const earliest = (events: StreamedEvent[]) => Math.min(...events.map(at));

/** Events of one batch of runs. */
function of(ids: Set<string>, match: (e: StreamedEvent) => boolean) {
  return (e: StreamedEvent) => e.executionId !== undefined && ids.has(e.executionId) && match(e);
}
const isStarted = (e: StreamedEvent) => e.type === 'step.started';
const isLine = (line: string) => (e: StreamedEvent) => e.type === 'step.stdout' && e.line === line;
const isFinal = (e: StreamedEvent) => FINAL.has(e.type);

/** Starts `--runs` executions; returns their ids and the epoch ms of the first request. */
async function executeBatch(api: ChaosApi): Promise<{ ids: string[]; t0: number }> {
  const t0 = Date.now();
  const ids = await pool(
    Array.from({ length: RUNS }, (_, i) => i),
    16,
    () => api.execute(WORKFLOW),
  );
  return { ids, t0 };
}

/**
 * Checks that every run completed with one attempt and no lost one, each line once in its log;
 * returns, per run, ms from its step's start + the sleep to the run's end.
 */
async function checkAndSettle(api: ChaosApi, ids: string[]): Promise<number[]> {
  const records = await pool(ids, 16, (id) => api.execution(id));
  const logs = await pool(ids, 16, (id) => api.logs(id));
  const problems: string[] = [];
  records.forEach((r: ExecutionView, i) => {
    const step = r.steps[0]!;
    if (r.status !== 'completed' || step.attempts !== 1 || (step.lostAttempts ?? 0) > 0)
      problems.push(`${r.id}: ${r.status}, attempts ${step.attempts}, lost ${step.lostAttempts}`);
    for (const line of ['begin', 'during', 'end']) {
      const n = logs[i]!.split('\n').filter((l) => l.endsWith(`| ${line}`)).length;
      if (n !== 1) problems.push(`${r.id}: '${line}' ${n} times in the log`);
    }
  });
  if (problems.length > 0) throw new Error(problems.slice(0, 10).join('\n'));
  return records.map(
    (r) => Date.parse(r.finishedAt!) - (Date.parse(r.steps[0]!.startedAt!) + SLEEP_S * 1000),
  );
}

/** Figures of one repetition (ms unless named otherwise). */
interface RepFigures {
  coldStartMs: number;
  fresh: {
    acceptMs: number;
    allStartedMs: number;
    startSpanMs: number;
    allFinalMs: number;
    exitToFinal: Summary;
  };
  restart: {
    duringBeforeKill: number;
    killToSpawnMs: number;
    listeningMs: number;
    firstResumedMs: number;
    allResumedMs: number;
    resumeSpanMs: number;
    firstReplayedMs: number | null;
    allReplayedMs: number | null;
    allFinalMs: number;
    exitToFinal: Summary;
    hostAtKill: Memory;
    serverAtKill: Memory;
  };
}

async function repetition(dirs: BenchDirs, servers: ServerProcess[]): Promise<RepFigures> {
  const start = async () => {
    const s = await startServer({
      dataDir: dirs.dataDir,
      workflowsDir: dirs.workflowsDir,
      args: ['--slots', String(RUNS)],
      readyTimeoutMs: 120_000,
      maxLifetimeMs: 900_000,
    });
    servers.push(s);
    return s;
  };
  const first = await start();
  const api = new ChaosApi(() => servers.at(-1)!.url);
  await api.register(DOC);
  let stream = await EventStream.open(first.url, { workflowId: WORKFLOW });
  try {
    // Fresh.
    const a = await executeBatch(api);
    const acceptMs = Date.now() - a.t0;
    const aIds = new Set(a.ids);
    const started = await stream.collect(of(aIds, isStarted), RUNS, TIMEOUT_MS);
    const finals = await stream.collect(of(aIds, isFinal), RUNS, TIMEOUT_MS);
    const fresh = {
      acceptMs,
      allStartedMs: latest(started) - a.t0,
      startSpanMs: latest(started) - earliest(started),
      allFinalMs: latest(finals) - a.t0,
      exitToFinal: summarize(await checkAndSettle(api, a.ids)),
    };
    log(`fresh: all started ${fresh.allStartedMs} ms, all final ${fresh.allFinalMs} ms`);

    // Restart with the second batch in flight.
    const b = await executeBatch(api);
    const bIds = new Set(b.ids);
    await stream.collect(of(bIds, isLine('begin')), RUNS, TIMEOUT_MS);
    const duringBeforeKill = stream.events.filter(of(bIds, isLine('during'))).length;
    const hostAtKill = memoryOf(hostPidOf(dirs.dataDir));
    const serverAtKill = memoryOf(first.pid);
    stream.close();
    const killedAt = await first.kill9();
    const second = await start();
    stream = await EventStream.open(second.url, { workflowId: WORKFLOW, lastEventId: '0' });
    const resumed = await stream.collect(
      of(bIds, (e) => isStarted(e) && e.resumed === true),
      RUNS,
      TIMEOUT_MS,
    );
    const replayed =
      duringBeforeKill < RUNS
        ? await stream.collect(of(bIds, isLine('during')), RUNS - duringBeforeKill, TIMEOUT_MS)
        : [];
    const bFinals = await stream.collect(of(bIds, isFinal), RUNS, TIMEOUT_MS);
    const t = second.spawnedAt;
    const restart = {
      duringBeforeKill,
      killToSpawnMs: t - killedAt,
      listeningMs: second.readyAt - t,
      firstResumedMs: earliest(resumed) - t,
      allResumedMs: latest(resumed) - t,
      resumeSpanMs: latest(resumed) - earliest(resumed),
      firstReplayedMs: replayed.length > 0 ? earliest(replayed) - t : null,
      allReplayedMs: replayed.length > 0 ? latest(replayed) - t : null,
      allFinalMs: latest(bFinals) - t,
      exitToFinal: summarize(await checkAndSettle(api, b.ids)),
      hostAtKill,
      serverAtKill,
    };
    log(
      `restart: listening ${restart.listeningMs} ms, all re-attached ${restart.allResumedMs} ms, ` +
        `all final ${restart.allFinalMs} ms after the new server's spawn`,
    );
    return { coldStartMs: first.readyAt - first.spawnedAt, fresh, restart };
  } finally {
    stream.close();
  }
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const reps: RepFigures[] = [];
  const leftBehind: string[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const dirs = benchDirs('reattach');
    const servers: ServerProcess[] = [];
    try {
      reps.push(await repetition(dirs, servers));
    } finally {
      leftBehind.push(...(await stopAndSweep(servers, dirs)).swept);
    }
    log(`rep ${rep + 1}/${REPS} done`);
  }
  const over = (f: (r: RepFigures) => number | null) => {
    const xs = reps.map(f).filter((x): x is number => x !== null);
    return xs.length > 0 ? summarize(xs) : null;
  };
  const summary = {
    bench: 'reattach',
    runs: RUNS,
    sleepS: SLEEP_S,
    reps: REPS,
    coldStartMs: over((r) => r.coldStartMs),
    fresh: {
      acceptMs: over((r) => r.fresh.acceptMs),
      allStartedMs: over((r) => r.fresh.allStartedMs),
      startSpanMs: over((r) => r.fresh.startSpanMs),
      allFinalMs: over((r) => r.fresh.allFinalMs),
      exitToFinalMedianMs: over((r) => r.fresh.exitToFinal.median),
      exitToFinalMaxMs: over((r) => r.fresh.exitToFinal.max),
    },
    restart: {
      duringBeforeKill: over((r) => r.restart.duringBeforeKill),
      killToSpawnMs: over((r) => r.restart.killToSpawnMs),
      listeningMs: over((r) => r.restart.listeningMs),
      firstResumedMs: over((r) => r.restart.firstResumedMs),
      allResumedMs: over((r) => r.restart.allResumedMs),
      resumeSpanMs: over((r) => r.restart.resumeSpanMs),
      firstReplayedMs: over((r) => r.restart.firstReplayedMs),
      allReplayedMs: over((r) => r.restart.allReplayedMs),
      allFinalMs: over((r) => r.restart.allFinalMs),
      exitToFinalMedianMs: over((r) => r.restart.exitToFinal.median),
      exitToFinalMaxMs: over((r) => r.restart.exitToFinal.max),
      hostRssAtKillMiB: over((r) => r.restart.hostAtKill.rss),
      serverRssAtKillMiB: over((r) => r.restart.serverAtKill.rss),
    },
    leftBehind,
    loadBefore,
    loadAfter: loadavg()[0]!,
    machine: machineFacts(),
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const f = summary.machine;
  console.log(
    `${RUNS} runs of one ${SLEEP_S} s exec step: fresh vs re-attached after kill -9 of the server; ` +
      `${REPS} repetitions; ${f.cpus}× ${f.cpuModel}, node ${f.node}; ` +
      `load ${num(loadBefore)} → ${num(summary.loadAfter)}`,
  );
  console.log('median (min–max) over repetitions, ms');
  const line = (label: string, s: Summary | null) =>
    console.log(`  ${label.padEnd(58)} ${s === null ? 'n/a' : spread(s, (x) => num(x, 0))}`);
  line('cold start on an empty data dir (spawn → listening)', summary.coldStartMs);
  line('fresh: first execute → all 202', summary.fresh.acceptMs);
  line('fresh: first execute → all step.started', summary.fresh.allStartedMs);
  line('fresh: first → last step.started', summary.fresh.startSpanMs);
  line('fresh: first execute → all final', summary.fresh.allFinalMs);
  line('fresh: exit → final, median run', summary.fresh.exitToFinalMedianMs);
  line('fresh: exit → final, slowest run', summary.fresh.exitToFinalMaxMs);
  line('restart: `during` lines seen before the kill (count)', summary.restart.duringBeforeKill);
  line('restart: spawn → listening', summary.restart.listeningMs);
  line('restart: spawn → first re-attached (resumed step.started)', summary.restart.firstResumedMs);
  line('restart: spawn → all re-attached', summary.restart.allResumedMs);
  line('restart: first → last re-attached', summary.restart.resumeSpanMs);
  line('restart: spawn → first `during` line replayed', summary.restart.firstReplayedMs);
  line('restart: spawn → all `during` lines replayed', summary.restart.allReplayedMs);
  line('restart: spawn → all final', summary.restart.allFinalMs);
  line('restart: exit → final, median run', summary.restart.exitToFinalMedianMs);
  line('restart: exit → final, slowest run', summary.restart.exitToFinalMaxMs);
  const mib = (label: string, s: Summary | null) =>
    console.log(`  ${label.padEnd(58)} ${s === null ? 'n/a' : spread(s, (x) => num(x, 1))}`);
  mib('RSS at the kill, MiB: host (holding the runs)', summary.restart.hostRssAtKillMiB);
  mib('RSS at the kill, MiB: server', summary.restart.serverRssAtKillMiB);
  console.log(
    `  processes left behind: ${leftBehind.length === 0 ? 'none' : leftBehind.join('; ')}`,
  );
}

await main();

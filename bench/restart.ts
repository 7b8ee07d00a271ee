/**
 * Restart with 1,000 unfinished runs: how long from a restart after kill -9 until every run is
 * final, and how long the server takes to start (listening) with them, against a cold start on
 * an empty data directory.
 *
 * 1. Cold start: `stator serve` on a fresh data directory (the child-process server of the
 *    chaos tests: node with the service's V8 flags, port 0, an empty workflows dir), timed
 *    from spawn to its "listening" log line.
 * 2. Registers `restart-bench` (`nap`: `sleep: <--sleep>`, then `tick`: a short `run:` step)
 *    and queues `--runs` executions over HTTP (32 requests in flight), then kills the server
 *    with SIGKILL right after the last 202: with enough slots every run is in its sleep.
 *    The sleep must outlast the queueing: on a 2-core machine 1,000 executes take 9 s and more
 *    (runs that finish compete with the intake), so a 3 s sleep left only 52 to 251 of 1,000
 *    unfinished at the kill; the default 10 s leaves all of them.
 * 3. Restarts on the same data directory and polls the list of executions until no run is
 *    pending or running (then confirms with a full pass that all are final).
 *
 * Reported: the start time of both servers, restart-to-all-final (from the restart's spawn)
 * and kill-to-all-final, how many runs were unfinished at the kill (finished after it), final
 * statuses, and steps that ran more than once or lost their process. Durable sleeps cannot end
 * before their deadline: `sleepFloorMs` is the last one's, from the restart's spawn, and
 * `overFloorMs` what the restart costs beyond it. Where queueing takes longer than the sleep
 * (a slow or busy machine), runs finish before the kill: `unfinishedAtKill` says how many were
 * left, and `napNotStartedAtKill` how many were accepted but had not begun their sleep yet.
 * Without durable sleeps and re-attachment, runs end `failed`: see `statuses`.
 *
 * Run: `npx tsx bench/restart.ts [--runs 1000] [--sleep 10s] [--engines 2] [--slots 500]
 * [--reps 1] [--cpu-prof DIR]` (prints progress on stderr, one JSON summary on stdout; with
 * `--reps N`, N repetitions on new data directories, each printed on stderr, and the summary
 * gives every figure as median, min, max). Set
 * STATOR_CHAOS_ROOT to time another checkout. `--cpu-prof DIR`: the restarted server writes a
 * CPU profile into DIR when it is stopped at the end (the killed one writes none).
 * @module
 */
import { parseArgs } from 'node:util';
import { ChaosApi, FINAL_STATUSES, type ExecutionView } from '../test/chaos/api.ts';
import { startServer, type ServerProcess } from '../test/chaos/server-process.ts';
import { pool } from './lib/pool.ts';
import { benchDirs, profileEnv, stopAndSweep } from './lib/served-stator.ts';
import { machineFacts, summarize } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    sleep: { type: 'string', default: '10s' },
    engines: { type: 'string', default: '2' },
    slots: { type: 'string', default: '500' },
    reps: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const SLEEP_MS = durationMs(values.sleep);
const REPS = Number(values.reps);

/** `250ms`, `3s`, `1m` or a number of ms. */
function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new Error(`--sleep: not a duration: ${text}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm'];
}
const log = (line: string) => process.stderr.write(`[restart] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until no run is pending or running; returns the epoch ms it saw that. */
async function allFinal(api: ChaosApi, runs: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const seenAt = Date.now();
    try {
      const open = await Promise.all(
        ['pending', 'running'].map((status) =>
          api.call<{ items: unknown[] }>('GET', `/api/executions?status=${status}&limit=1`),
        ),
      );
      if (open.every((page) => page.items.length === 0)) {
        const all = await api.allExecutions();
        const final = all.filter((e) => FINAL_STATUSES.includes(e.status)).length;
        if (final >= runs) return seenAt;
      }
    } catch {
      // the server may still be starting
    }
    await sleep(100);
  }
  throw new Error(`runs not all final within ${timeoutMs} ms`);
}

/** One repetition on a new data directory: its summary. */
async function repetition(): Promise<Record<string, unknown>> {
  const dirs = benchDirs('restart');
  const { dataDir, workflowsDir } = dirs;
  const servers: ServerProcess[] = [];
  const start = async () => {
    const s = await startServer({
      dataDir,
      workflowsDir,
      args: ['--engines', values.engines, '--slots', values.slots],
      env: profileEnv(values['cpu-prof']),
      readyTimeoutMs: 600_000,
      maxLifetimeMs: 1_800_000,
    });
    servers.push(s);
    return s;
  };
  const api = new ChaosApi(() => servers.at(-1)!.url);
  try {
    const cold = await start();
    log(`cold start ${cold.readyAt - cold.spawnedAt} ms`);
    await api.register({
      id: 'restart-bench',
      env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
      steps: [
        { id: 'nap', sleep: values.sleep },
        { id: 'tick', needs: ['nap'], run: 'echo "tick $STATOR_EXECUTION_ID"' },
      ],
    });
    const t0 = Date.now();
    const ids = await pool(
      Array.from({ length: RUNS }, (_, i) => i),
      32,
      () => api.execute('restart-bench'),
    );
    const acceptMs = Date.now() - t0;
    const killedAt = await cold.kill9();
    log(`${RUNS} runs accepted in ${acceptMs} ms; killed`);
    if (acceptMs >= SLEEP_MS)
      log(
        `accepting took longer than the ${values.sleep} sleep: runs finished before the kill (use a longer --sleep)`,
      );

    const restarted = await start();
    const restartStartMs = restarted.readyAt - restarted.spawnedAt;
    log(`restart: listening after ${restartStartMs} ms`);
    const finalAt = await allFinal(api, RUNS, 600_000);
    log(`all final ${finalAt - restarted.spawnedAt} ms after the restart`);

    const records = await pool(ids, 16, (id) => api.execution(id));
    const statuses: Record<string, number> = {};
    let unfinishedAtKill = 0;
    let rerunSteps = 0;
    let lostAttempts = 0;
    let lastDeadline = 0;
    let napNotStartedAtKill = 0;
    let firstDeadline = Infinity;
    const napLate: number[] = [];
    const tickStarts: number[] = [];
    const tickEnds: number[] = [];
    for (const r of records as ExecutionView[]) {
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      const nap = r.steps.find((s) => s.id === 'nap');
      if (r.status === 'completed' && nap?.startedAt) {
        const deadline = Date.parse(nap.startedAt) + SLEEP_MS;
        lastDeadline = Math.max(lastDeadline, deadline);
        firstDeadline = Math.min(firstDeadline, deadline);
        if (nap.finishedAt) napLate.push(Date.parse(nap.finishedAt) - deadline);
      }
      const tick = r.steps.find((s) => s.id === 'tick');
      if (tick?.startedAt && tick.finishedAt) {
        tickStarts.push(Date.parse(tick.startedAt));
        tickEnds.push(Date.parse(tick.finishedAt));
      }
      if (r.finishedAt === null || Date.parse(r.finishedAt) > killedAt) unfinishedAtKill++;
      if (!nap?.startedAt || Date.parse(nap.startedAt) > killedAt) napNotStartedAtKill++;
      for (const s of r.steps) {
        if (s.attempts > 1) rerunSteps++;
        lostAttempts += s.lostAttempts ?? 0;
      }
    }
    const summary = {
      bench: 'restart',
      runs: RUNS,
      sleep: values.sleep,
      engines: Number(values.engines),
      slots: Number(values.slots),
      acceptMs,
      unfinishedAtKill,
      // Accepted (202) but not yet started (their sleep began after the restart).
      napNotStartedAtKill,
      coldStartMs: cold.readyAt - cold.spawnedAt,
      restartStartMs,
      restartToAllFinalMs: finalAt - restarted.spawnedAt,
      killToAllFinalMs: finalAt - killedAt,
      // What durable sleeps cannot beat: the last deadline of a completed run's sleep, from the
      // restart's spawn; and the time to all final beyond it.
      sleepFloorMs: Math.max(0, lastDeadline - restarted.spawnedAt),
      overFloorMs: finalAt - Math.max(lastDeadline, restarted.spawnedAt),
      // Where the time over the floor goes: the sleeps end over `deadlineSpreadMs` (as they were
      // accepted), each `napLateMs` after its deadline; then every run's `tick` process runs:
      // `tickSpanMs` from the first one's start to the last one's end.
      deadlineSpreadMs: lastDeadline - firstDeadline,
      napLateMs: napLate.length > 0 ? summarize(napLate) : null,
      tickSpanMs: Math.max(...tickEnds) - Math.min(...tickStarts),
      statuses,
      stepsWithMoreThanOneAttempt: rerunSteps,
      lostAttempts,
    };
    return summary;
  } finally {
    // A graceful stop of the last server (it writes its profile), then its host and leftovers.
    const { swept } = await stopAndSweep(servers, dirs);
    if (swept.length > 0) log(`had to kill what was left: ${swept.join('; ')}`);
  }
}

/**
 * Every number of `reps` as a Summary (of its `median` where it is a Summary itself); final
 * statuses summed over the repetitions; the settings as given.
 */
function aggregate(reps: Array<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, first] of Object.entries(reps[0]!)) {
    if (key === 'statuses') {
      const total: Record<string, number> = {};
      for (const r of reps)
        for (const [k, n] of Object.entries(r[key] as Record<string, number>))
          total[k] = (total[k] ?? 0) + n;
      out[key] = total;
      continue;
    }
    const numeric =
      typeof first === 'number' ||
      (first !== null && typeof first === 'object' && 'median' in first);
    const setting = ['runs', 'engines', 'slots'].includes(key);
    out[key] =
      numeric && !setting
        ? summarize(
            reps.map((r) => {
              const v = r[key];
              return typeof v === 'number' ? v : ((v as { median?: number } | null)?.median ?? NaN);
            }),
          )
        : first;
  }
  return out;
}

async function main(): Promise<void> {
  const reps: Array<Record<string, unknown>> = [];
  for (let rep = 0; rep < REPS; rep++) {
    reps.push(await repetition());
    if (REPS > 1) log(`rep ${rep + 1}/${REPS}: ${JSON.stringify(reps.at(-1))}`);
  }
  const summary = REPS === 1 ? reps[0]! : { reps: REPS, ...aggregate(reps) };
  summary.machine = machineFacts();
  process.stdout.write(`${JSON.stringify(summary, null, values.json ? 0 : 2)}\n`);
}

await main();

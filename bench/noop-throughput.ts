/**
 * (b) Noop steps per second through the actor system and the SQLite store: one big noop
 * fan-out, and many concurrent runs of a small noop fan-out, against a bare XState loop that
 * creates and finishes the same number of trivial actors (the ratio is Stator's overhead).
 *
 *   npx tsx bench/noop-throughput.ts [--reps 5] [--quick]
 * @module
 */
import { register, startStator, timeConcurrentRuns, timeRun } from './lib/stator-harness.ts';
import { fanOut, NOOP_STEP } from './lib/workflows.ts';
import { parentChildrenLoop, rootActorsLoop } from './lib/xstate-baselines.ts';
import { collectGarbage, pairedRatio, summarize } from './lib/stats.ts';
import { num, ratio, spread } from './lib/format.ts';
import { benchMain, progress, type BenchArgs, type BenchReport } from './lib/report.ts';

const TARGET_STEPS_PER_S = 10_000;
const RUN_CONCURRENCY = 16;
const ENGINES = 2;
const SLOTS = 32;
const STEPS_PER_SMALL_RUN = 20;

type Variant = 'bigFanOut' | 'manyRuns' | 'xstateRoots' | 'xstateParent';

async function noopThroughput({ reps, quick }: BenchArgs): Promise<BenchReport> {
  const total = quick ? 2_000 : 10_000;
  const runs = total / STEPS_PER_SMALL_RUN;
  const bench = await startStator({ engines: ENGINES, slotsPerEngine: SLOTS });
  const s = bench.stator;
  const big = await register(s, fanOut('noop-big', total, RUN_CONCURRENCY, NOOP_STEP));
  const small = await register(s, fanOut('noop-small', STEPS_PER_SMALL_RUN, RUN_CONCURRENCY, NOOP_STEP));
  const measure: Record<Variant, () => Promise<number>> = {
    bigFanOut: () => timeRun(s, big),
    manyRuns: () => timeConcurrentRuns(s, small, runs),
    xstateRoots: async () => rootActorsLoop(total),
    xstateParent: () => parentChildrenLoop(total, RUN_CONCURRENCY),
  };
  const variants = Object.keys(measure) as Variant[];
  const rate = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  try {
    progress('warm-up');
    for (const v of variants) await measure[v]();
    for (let rep = 0; rep < reps; rep++) {
      for (let i = 0; i < variants.length; i++) {
        const v = variants[(i + rep) % variants.length]!;
        collectGarbage();
        rate.get(v)!.push(total / ((await measure[v]()) / 1000));
      }
      progress(`rep ${rep + 1}/${reps} done`);
    }
  } finally {
    await bench.close();
  }

  const label: Record<Variant, string> = {
    bigFanOut: `Stator: 1 run, ${num(total, 0)}-step noop fan-out (concurrency ${RUN_CONCURRENCY})`,
    manyRuns: `Stator: ${num(runs, 0)} concurrent runs × ${STEPS_PER_SMALL_RUN} noop steps (${ENGINES}×${SLOTS} slots)`,
    xstateRoots: `bare XState: ${num(total, 0)} trivial root actors created+finished (baseline)`,
    xstateParent: `bare XState: 1 parent, ${num(total, 0)} trivial children, ${RUN_CONCURRENCY} live`,
  };
  const rows = variants.map((v) => {
    const r = summarize(rate.get(v)!);
    return [
      label[v],
      spread(r, (x) => num(x, 0)),
      num(1e6 / r.median, 1),
      v === 'xstateRoots' ? '1.00x' : ratio(pairedRatio(rate.get('xstateRoots')!, rate.get(v)!)),
    ];
  });
  const targets = (['bigFanOut', 'manyRuns'] as const).map((v) => {
    const m = summarize(rate.get(v)!).median;
    return {
      name: `${v === 'bigFanOut' ? 'big fan-out' : 'many concurrent runs'}: noop steps/s`,
      target: `>= ${num(TARGET_STEPS_PER_S, 0)}`,
      measured: num(m, 0),
      met: m >= TARGET_STEPS_PER_S,
    };
  });
  return {
    id: 'b',
    title: 'Noop steps per second through the actors and the SQLite store',
    command: `npx tsx bench/noop-throughput.ts --reps ${reps}${quick ? ' --quick' : ''}`,
    setup:
      `${num(total, 0)} noop steps per sample. Stator with a SQLite store in a temp dir, timed from the first ` +
      `execute() to the last waitForExecution(). Baseline in the same process: a bare XState loop creating, ` +
      `starting and finishing the same number of trivial actors (\`idle --go--> done\`). ${reps} repetitions, order ` +
      `rotated; "cost vs XState" is the median of per-repetition time ratios (Stator time / XState time).`,
    head: ['variant', 'steps/s median (min–max)', 'µs/step', 'cost vs bare XState'],
    rows,
    targets,
    notes: [],
  };
}

await benchMain(noopThroughput);

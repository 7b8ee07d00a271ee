/**
 * (b) Noop steps per second through the actor system and the SQLite store: one big noop
 * fan-out, and many concurrent runs of a small noop fan-out, against a bare XState loop that
 * creates and finishes the same number of trivial actors (the ratio is Stator's overhead).
 * Two attribution rows: the same fan-out on the memory store (what SQLite costs) and a bare
 * XState parent with the same children pattern (what the actor shape costs).
 *
 *   npx tsx bench/noop-throughput.ts [--reps 5] [--quick]
 * @module
 */
import {
  register,
  startStator,
  timeConcurrentRuns,
  timeRun,
  type BenchStator,
} from './lib/stator-harness.ts';
import { fanOut, NOOP_STEP } from './lib/workflows.ts';
import { parentChildrenLoop, rootActorsLoop } from './lib/xstate-baselines.ts';
import { collectGarbage, pairedRatio, summarize, timed, type Timing } from './lib/stats.ts';
import { watchLoop } from './lib/loop-stall.ts';
import { num, ratio, spread } from './lib/format.ts';
import { benchMain, progress, type BenchArgs, type BenchReport } from './lib/report.ts';

const TARGET_STEPS_PER_S = 10_000;
const RUN_CONCURRENCY = 16;
const ENGINES = 2;
const SLOTS = 32;
const STEPS_PER_SMALL_RUN = 20;

type Variant = 'bigFanOut' | 'manyRuns' | 'bigFanOutMemory' | 'xstateRoots' | 'xstateParent';

async function noopThroughput({ reps, quick }: BenchArgs): Promise<BenchReport> {
  const total = quick ? 2_000 : 10_000;
  const runs = total / STEPS_PER_SMALL_RUN;
  const services: BenchStator[] = [];
  try {
    const sqlite = await startStator({ engines: ENGINES, slotsPerEngine: SLOTS });
    services.push(sqlite);
    const memory = await startStator({ engines: ENGINES, slotsPerEngine: SLOTS, store: 'memory' });
    services.push(memory);
    const bigDoc = fanOut('noop-big', total, RUN_CONCURRENCY, NOOP_STEP);
    const big = await register(sqlite.stator, bigDoc);
    await register(memory.stator, bigDoc);
    const small = await register(
      sqlite.stator,
      fanOut('noop-small', STEPS_PER_SMALL_RUN, RUN_CONCURRENCY, NOOP_STEP),
    );
    const measure: Record<Variant, () => Promise<unknown>> = {
      bigFanOut: () => timeRun(sqlite.stator, big),
      manyRuns: () => timeConcurrentRuns(sqlite.stator, small, runs),
      bigFanOutMemory: () => timeRun(memory.stator, big),
      xstateRoots: async () => rootActorsLoop(total),
      xstateParent: () => parentChildrenLoop(total, RUN_CONCURRENCY),
    };
    const variants = Object.keys(measure) as Variant[];
    const samples = new Map<Variant, Timing[]>(variants.map((v) => [v, []]));
    const stalls = new Map<Variant, number>();
    progress('warm-up');
    for (const v of variants) await measure[v]();
    for (let rep = 0; rep < reps; rep++) {
      for (let i = 0; i < variants.length; i++) {
        const v = variants[(i + rep) % variants.length]!;
        collectGarbage();
        const watch = watchLoop();
        samples.get(v)!.push(await timed(measure[v]));
        stalls.set(v, Math.max(stalls.get(v) ?? 0, watch.stop()));
      }
      progress(`rep ${rep + 1}/${reps} done`);
    }
    return report(samples, stalls, { total, runs, reps, quick });
  } finally {
    for (const s of services) await s.close();
  }
}

function report(
  samples: Map<Variant, Timing[]>,
  stalls: Map<Variant, number>,
  { total, runs, reps, quick }: { total: number; runs: number; reps: number; quick: boolean },
): BenchReport {
  const rate = (v: Variant) => samples.get(v)!.map((t) => total / (t.ms / 1000));
  const wall = (v: Variant) => samples.get(v)!.map((t) => t.ms);
  const cpuUs = (v: Variant) => samples.get(v)!.map((t) => (t.cpuMs * 1000) / total);
  const label: Record<Variant, string> = {
    bigFanOut: `Stator: 1 run, ${num(total, 0)}-step noop fan-out (concurrency ${RUN_CONCURRENCY})`,
    manyRuns: `Stator: ${num(runs, 0)} concurrent runs × ${STEPS_PER_SMALL_RUN} noop steps (${ENGINES}×${SLOTS} slots)`,
    bigFanOutMemory: `Stator, memory store (attribution): the same ${num(total, 0)}-step fan-out`,
    xstateRoots: `bare XState: ${num(total, 0)} trivial root actors created+finished (baseline)`,
    xstateParent: `bare XState (attribution): 1 parent, ${num(total, 0)} trivial children, ${RUN_CONCURRENCY} live`,
  };
  const order: Variant[] = [
    'bigFanOut',
    'manyRuns',
    'bigFanOutMemory',
    'xstateParent',
    'xstateRoots',
  ];
  const rows = order.map((v) => {
    const r = summarize(rate(v));
    return [
      label[v],
      spread(r, (x) => num(x, 0)),
      num(1e6 / r.median, 1),
      num(summarize(cpuUs(v)).median, 1),
      v === 'xstateRoots' ? '1.00x' : ratio(pairedRatio(wall(v), wall('xstateRoots'))),
      num(stalls.get(v) ?? 0, 0),
    ];
  });
  const targets = (['bigFanOut', 'manyRuns'] as const).map((v) => {
    const m = summarize(rate(v)).median;
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
    command: `node --expose-gc --max-semi-space-size=64 --import tsx bench/noop-throughput.ts --reps ${reps}${quick ? ' --quick' : ''}`,
    setup:
      `${num(total, 0)} noop steps per sample. Stator with a SQLite store in a temp dir, timed from the first ` +
      `execute() to the last waitForExecution(). Baseline in the same process: a bare XState loop creating, ` +
      `starting and finishing the same number of trivial actors (\`idle --go--> done\`). ${reps} repetitions, order ` +
      `rotated; "time vs bare XState" is the median of per-repetition wall-time ratios. CPU is this process's ` +
      `user+system time per step (less sensitive than wall time to other load on the machine). "Longest stall" is ` +
      `the longest time a 5 ms timer could not run during any sample.`,
    head: [
      'variant',
      'steps/s median (min–max)',
      'wall µs/step',
      'CPU µs/step',
      'time vs bare XState',
      'longest stall ms',
    ],
    rows,
    targets,
    notes: [],
  };
}

await benchMain(noopThroughput);

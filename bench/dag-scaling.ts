/**
 * (c) Per-step cost as DAGs grow: noop chains and fan-outs of 100, 1,000 and 10,000 steps,
 * warm. Each sample runs the workflow enough times back to back to total 10,000 steps, so a
 * 100-step sample is as long as a 10,000-step one. Flat means 10,000 within 1.5x of 100.
 *
 *   npx tsx bench/dag-scaling.ts [--reps 5] [--quick]
 * @module
 */
import { register, startStator, timeRun } from './lib/stator-harness.ts';
import { chain, fanOut, NOOP_STEP } from './lib/workflows.ts';
import { collectGarbage, pairedRatio, summarize, timed } from './lib/stats.ts';
import { watchLoop } from './lib/loop-stall.ts';
import { num, ratio, spread } from './lib/format.ts';
import { benchMain, progress, type BenchArgs, type BenchReport } from './lib/report.ts';

const TARGET_RATIO = 1.5;
const FAN_OUT_CONCURRENCY = 16;

async function dagScaling({ reps, quick }: BenchArgs): Promise<BenchReport> {
  const sizes = quick ? [100, 1_000, 3_000] : [100, 1_000, 10_000];
  const stepsPerSample = sizes[sizes.length - 1]!;
  const bench = await startStator();
  const s = bench.stator;
  const cases: Array<{ shape: string; n: number; id: string }> = [];
  for (const n of sizes) {
    cases.push({ shape: 'chain', n, id: await register(s, chain(`chain-${n}`, n, NOOP_STEP)) });
    cases.push({
      shape: 'fan-out',
      n,
      id: await register(s, fanOut(`fanout-${n}`, n, FAN_OUT_CONCURRENCY, NOOP_STEP)),
    });
  }
  /** One sample: wall µs/step (sum of run times), CPU µs/step, longest event-loop stall of a run. */
  const sample = async (c: (typeof cases)[number]) => {
    const runs = Math.max(1, Math.round(stepsPerSample / c.n));
    let ms = 0;
    const watch = watchLoop();
    const t = await timed(async () => {
      for (let r = 0; r < runs; r++) {
        ms += await timeRun(s, c.id);
        // Let timers run between runs (outside the timed span), so the stall is one run's.
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    return {
      us: (ms * 1000) / (runs * c.n),
      cpuUs: (t.cpuMs * 1000) / (runs * c.n),
      stall: watch.stop(),
    };
  };
  const us = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  const cpuUs = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  const stall = new Map<string, number>();
  try {
    progress('warm-up');
    for (const c of cases) await sample(c);
    for (let rep = 0; rep < reps; rep++) {
      for (let i = 0; i < cases.length; i++) {
        const c = cases[(i + rep) % cases.length]!;
        collectGarbage();
        const m = await sample(c);
        us.get(c.id)!.push(m.us);
        cpuUs.get(c.id)!.push(m.cpuUs);
        stall.set(c.id, Math.max(stall.get(c.id) ?? 0, m.stall));
      }
      progress(`rep ${rep + 1}/${reps} done`);
    }
  } finally {
    await bench.close();
  }

  const smallest = sizes[0]!;
  const largest = stepsPerSample;
  const rows = cases.map((c) => {
    const baseId = `${c.shape === 'chain' ? 'chain' : 'fanout'}-${smallest}`;
    const base = us.get(baseId)!;
    const cpuBase = cpuUs.get(baseId)!;
    return [
      c.shape === 'chain' ? 'chain' : `fan-out (c=${FAN_OUT_CONCURRENCY})`,
      num(c.n, 0),
      String(Math.max(1, Math.round(stepsPerSample / c.n))),
      spread(summarize(us.get(c.id)!), (x) => num(x, 1)),
      c.n === smallest ? '1.00x' : ratio(pairedRatio(us.get(c.id)!, base)),
      num(summarize(cpuUs.get(c.id)!).median, 1),
      c.n === smallest ? '1.00x' : ratio(pairedRatio(cpuUs.get(c.id)!, cpuBase)),
      num(stall.get(c.id) ?? 0, 0),
    ];
  });
  const targets = (['chain', 'fanout'] as const).map((shape) => {
    const r = pairedRatio(us.get(`${shape}-${largest}`)!, us.get(`${shape}-${smallest}`)!);
    return {
      name: `${shape === 'chain' ? 'chain' : 'fan-out'}: µs/step at ${num(largest, 0)} / at ${smallest}`,
      target: `<= ${TARGET_RATIO}x`,
      measured: `${num(r.median, 2)}x`,
      met: r.median <= TARGET_RATIO,
    };
  });
  return {
    id: 'c',
    title: 'Per-step cost of noop DAGs as they grow',
    command: `node --expose-gc --max-semi-space-size=64 --import tsx bench/dag-scaling.ts --reps ${reps}${quick ? ' --quick' : ''}`,
    setup:
      `Noop chains and fan-outs (concurrency ${FAN_OUT_CONCURRENCY}) of ${sizes.map((n) => num(n, 0)).join(', ')} ` +
      `steps, SQLite store in a temp dir, after a warm-up pass over every case. A sample runs the workflow ` +
      `sequentially until ${num(stepsPerSample, 0)} steps have run (execute() to waitForExecution() each) and ` +
      `gives µs/step. ${reps} repetitions, case order rotated; "vs ${smallest}" is the median of per-repetition ratios. ` +
      `CPU is this process's user+system time per step; "longest stall" is the longest time a 5 ms timer could not ` +
      `run during any sample of the case.`,
    head: [
      'shape',
      'steps',
      'runs/sample',
      'wall µs/step median (min–max)',
      `vs ${smallest} steps`,
      'CPU µs/step',
      `CPU vs ${smallest}`,
      'longest stall ms',
    ],
    rows,
    targets,
    notes: [],
  };
}

await benchMain(dagScaling);

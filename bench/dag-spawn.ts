/**
 * (a) Spawn-bound DAGs: a 500-step chain and a 500-step fan-out of `exec: [true]` through
 * Stator (SQLite store in a temp dir) against a raw execa loop and a raw `child_process.spawn`
 * loop doing the same spawns at the same concurrency (chain 1, fan-out the workflow's 8), all
 * in this one process, interleaved per repetition with the order rotated.
 *
 *   npx tsx bench/dag-spawn.ts [--reps 5] [--quick]
 * @module
 */
import { execaOnce, spawnLoop, spawnOnce } from './lib/spawn-loops.ts';
import { register, startStator, timeRun } from './lib/stator-harness.ts';
import { chain, fanOut, TRUE_STEP } from './lib/workflows.ts';
import { pairedRatio, summarize, timed, type Timing } from './lib/stats.ts';
import { num, ratio, spread } from './lib/format.ts';
import { benchMain, progress, type BenchArgs, type BenchReport } from './lib/report.ts';

const FAN_OUT_CONCURRENCY = 8;
const TARGET_RATIO = 1.15;
const ARGV = ['true'];

type Variant = 'stator' | 'execa' | 'spawn';
const VARIANTS: readonly Variant[] = ['stator', 'execa', 'spawn'];
const LABEL: Record<Variant, string> = {
  stator: 'Stator',
  execa: 'raw execa loop',
  spawn: 'raw child_process.spawn loop',
};

async function dagSpawn({ reps, quick }: BenchArgs): Promise<BenchReport> {
  const n = quick ? 100 : 500;
  const bench = await startStator();
  const shapes = [
    {
      name: 'chain',
      concurrency: 1,
      id: await register(bench.stator, chain('chain', n, TRUE_STEP)),
    },
    {
      name: 'fan-out',
      concurrency: FAN_OUT_CONCURRENCY,
      id: await register(bench.stator, fanOut('fanout', n, FAN_OUT_CONCURRENCY, TRUE_STEP)),
    },
  ];
  const samples = new Map<string, Timing[]>(); // `${shape}|${variant}` → one timing per rep
  try {
    progress('warm-up');
    await register(bench.stator, chain('warmup', 30, TRUE_STEP));
    await timeRun(bench.stator, 'warmup');
    await spawnLoop(execaOnce, ARGV, 30, 1);
    await spawnLoop(spawnOnce, ARGV, 30, 1);
    for (let rep = 0; rep < reps; rep++) {
      for (const shape of shapes) {
        const order = VARIANTS.map((_, i) => VARIANTS[(i + rep) % VARIANTS.length]!);
        for (const v of order) {
          const t = await timed(() =>
            v === 'stator'
              ? timeRun(bench.stator, shape.id)
              : spawnLoop(v === 'execa' ? execaOnce : spawnOnce, ARGV, n, shape.concurrency),
          );
          const key = `${shape.name}|${v}`;
          samples.set(key, [...(samples.get(key) ?? []), t]);
        }
      }
      progress(`rep ${rep + 1}/${reps} done`);
    }
  } finally {
    await bench.close();
  }
  const rss = Math.round(process.memoryUsage().rss / 2 ** 20);

  const rows: string[][] = [];
  const targets: BenchReport['targets'] = [];
  for (const shape of shapes) {
    const get = (v: Variant) => samples.get(`${shape.name}|${v}`)!.map((t) => t.ms / n);
    const cpu = (v: Variant) => samples.get(`${shape.name}|${v}`)!.map((t) => t.cpuMs / n);
    for (const v of VARIANTS) {
      const s = summarize(get(v));
      rows.push([
        `${shape.name} (c=${shape.concurrency})`,
        LABEL[v],
        spread(s, (x) => num(x, 2)),
        num(1000 / s.median, 0),
        v === 'execa' ? '1.00x' : ratio(pairedRatio(get(v), get('execa'))),
        v === 'spawn' ? '1.00x' : ratio(pairedRatio(get(v), get('spawn'))),
        num(summarize(cpu(v)).median, 2),
        v === 'execa' ? '1.00x' : ratio(pairedRatio(cpu(v), cpu('execa'))),
      ]);
    }
    const vsExeca = pairedRatio(get('stator'), get('execa'));
    targets.push({
      name: `${shape.name}: Stator / raw execa (ms/step, paired median)`,
      target: `<= ${TARGET_RATIO}x`,
      measured: `${num(vsExeca.median, 2)}x`,
      met: vsExeca.median <= TARGET_RATIO,
    });
  }
  return {
    id: 'a',
    title: `${n}-step chain and fan-out of \`exec: [true]\` vs raw spawn loops`,
    command: `node --expose-gc --max-semi-space-size=64 --import tsx bench/dag-spawn.ts --reps ${reps}${quick ? ' --quick' : ''}`,
    setup:
      `${n} spawns of \`true\` per sample. Stator: one run of a ${n}-step workflow, SQLite store in a temp dir, ` +
      `timed from execute() to waitForExecution(). Baselines in the same process: execa(\`true\`) with execa's ` +
      `defaults and child_process.spawn(\`true\`) awaited on 'close', with 1 (chain) or ${FAN_OUT_CONCURRENCY} ` +
      `(fan-out) workers. ${reps} repetitions, order rotated each repetition; ratios are medians of per-repetition ratios. ` +
      `CPU is this process's user+system time per step: other load on the machine disturbs it less than wall time.`,
    head: [
      'shape',
      'variant',
      'ms/step median (min–max)',
      'steps/s',
      'vs execa',
      'vs spawn',
      'CPU ms/step',
      'CPU vs execa',
    ],
    rows,
    targets,
    notes: [`process RSS at the end: ${rss} MiB (spawn cost grows with the parent's memory).`],
  };
}

await benchMain(dagSpawn);

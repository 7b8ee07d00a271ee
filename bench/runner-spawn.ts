/**
 * Spawn cost of the process runner against its floors, in one run on one machine:
 * raw `child_process.spawn`, default execa, execa with the runner's options, and the runner
 * itself with each spawner. N spawns of `true` at concurrency 1 and 8, several interleaved
 * rounds (order rotated each round). Reports the median and the best round (the least disturbed
 * on a shared machine) of wall time per spawn, and the parent's CPU time per spawn, which load
 * from other processes disturbs least.
 *
 *   npx tsx bench/runner-spawn.ts [--n 500] [--rounds 5]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { createExecaRunner } from '../src/exec/index.ts';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '500' }, rounds: { type: 'string', default: '5' } },
});
const N = Number(values.n);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = [1, 8];
const noop = (): void => undefined;

type Variant = { name: string; once: () => Promise<unknown> };

const runnerNode = createExecaRunner({ spawner: 'node' });
const runnerExeca = createExecaRunner({ spawner: 'execa' });

const variants: Variant[] = [
  {
    name: 'raw spawn (default stdio)',
    once: () => new Promise((resolve) => spawn('true').once('close', resolve)),
  },
  {
    name: 'raw spawn (runner stdio, detached)',
    once: () =>
      new Promise((resolve) => {
        const c = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
        c.stdout.resume();
        c.stderr.resume();
        c.once('close', resolve);
      }),
  },
  { name: 'execa default', once: () => execa('true') },
  {
    name: 'execa tuned (runner options)',
    once: () => {
      const sub = execa('true', [], {
        stdin: 'ignore',
        buffer: false,
        reject: false,
        cleanup: false,
        detached: true,
        forceKillAfterDelay: false,
        stripFinalNewline: false,
      });
      sub.stdout.resume();
      sub.stderr.resume();
      return sub;
    },
  },
  { name: 'runner spawner=execa', once: () => runnerExeca.run({ argv: ['true'], onLine: noop }) },
  { name: 'runner spawner=node', once: () => runnerNode.run({ argv: ['true'], onLine: noop }) },
];

/** Runs `v` N times with `concurrency` workers; returns wall and parent-CPU ms per spawn. */
async function measure(v: Variant, concurrency: number): Promise<{ wall: number; cpu: number }> {
  let started = 0;
  const worker = async () => {
    while (started < N) {
      started++;
      await v.once();
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wall = (performance.now() - t0) / N;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 / N };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function main(): Promise<void> {
  for (const v of variants) for (let i = 0; i < 30; i++) await v.once(); // warm up
  const samples = new Map<string, { wall: number[]; cpu: number[] }>();
  for (let round = 0; round < ROUNDS; round++) {
    const order = variants.map((_, i) => variants[(i + round) % variants.length] as Variant);
    for (const c of CONCURRENCY) {
      for (const v of order) {
        const m = await measure(v, c);
        const key = `${v.name}|${c}`;
        const s = samples.get(key) ?? { wall: [], cpu: [] };
        s.wall.push(m.wall);
        s.cpu.push(m.cpu);
        samples.set(key, s);
      }
    }
  }
  const rss = Math.round(process.memoryUsage().rss / 1e6);
  console.log(
    `spawn \`true\`: N=${N} per sample, ${ROUNDS} rounds, median; node ${process.version}`,
  );
  console.log(`parent RSS at end ${rss} MB (spawn cost grows with it, see BASELINES.md)\n`);
  const head = ['variant', 'conc', 'ms/spawn', 'spawns/s', 'vs raw', 'best ms', 'best vs raw'];
  head.push('cpu ms/spawn', 'cpu vs raw');
  const rows: string[][] = [];
  for (const c of CONCURRENCY) {
    const raw = samples.get(`${variants[0]?.name}|${c}`) ?? { wall: [], cpu: [] };
    const [rawWall, rawBest, rawCpu] = [median(raw.wall), Math.min(...raw.wall), median(raw.cpu)];
    for (const v of variants) {
      const s = samples.get(`${v.name}|${c}`) ?? { wall: [], cpu: [] };
      const [wall, best, cpu] = [median(s.wall), Math.min(...s.wall), median(s.cpu)];
      rows.push([
        v.name,
        String(c),
        wall.toFixed(3),
        Math.round(1000 / wall).toString(),
        `${(wall / rawWall).toFixed(2)}x`,
        best.toFixed(3),
        `${(best / rawBest).toFixed(2)}x`,
        cpu.toFixed(3),
        `${(cpu / rawCpu).toFixed(2)}x`,
      ]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    `| ${r.map((x, i) => (i === 0 ? x.padEnd(widths[i] ?? 0) : x.padStart(widths[i] ?? 0))).join(' | ')} |`;
  console.log(line(head));
  console.log(
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
  );
  for (const r of rows) console.log(line(r));
}

await main();

/**
 * Spawn cost through the process host against a bare spawn loop, in one run on one machine.
 *
 * - bare loop: a separate, bare `node` process spawning `true` N times in a row with
 *   `child_process.spawn` (the floor);
 * - host `run()`: N sequential `run({argv: ['true']})` through a `connectHost()` client in this
 *   (tsx) process: request, fork in the host, journal record, exit record, exit event, release;
 * - in-process runner: the same N runs through `createExecaRunner()` from this process, whose
 *   heap is what the host saves each fork from.
 * Repetitions are interleaved and ratios paired per repetition. Also reported: the host's
 * resident size (idle and peak), and the cost of the no-window record (start time from /proc and
 * one journal write) measured alone.
 *
 *   npx tsx bench/host-spawn.ts [--n 300] [--reps 10] [--concurrency 1]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createExecaRunner, processStartTime } from '../src/exec/index.ts';
import { connectHost } from '../src/host/index.ts';
import { Journal } from '../src/host/journal.js';
import { machineFacts, pairedRatio, summarize, type Summary } from './lib/stats.ts';
import { spawnLoop, timedSpawnLoop } from './lib/spawn-loops.ts';
import { bareSpawnLoop, type SpawnSample } from './lib/bare-spawn.ts';
import { memoryOf } from './lib/proc-stats.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '300' },
    reps: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '1' },
  },
});
const N = Number(values.n);
const REPS = Number(values.reps);
const CONCURRENCY = Number(values.concurrency);

/** Runs N spawns through `once`; CPU counts this process and `alsoPid` (the host). */
const loop = (once: () => Promise<unknown>, alsoPid?: number): Promise<SpawnSample> =>
  timedSpawnLoop(once, N, CONCURRENCY, alsoPid);

/** Microseconds per call of `fn`, over `n` calls. */
function perCall(n: number, fn: () => void): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - t0) * 1000) / n;
}

const fmt = (s: Summary, digits = 3) =>
  `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stator-bench-host-'));
  const host = await connectHost({ dataDir, idleMs: 60_000 });
  const runner = createExecaRunner();
  const viaHost = () => host.run({ argv: ['true'] });
  const inProcess = () => runner.run({ argv: ['true'] });
  try {
    const idle = memoryOf(host.hostPid);
    await spawnLoop(viaHost, [], 50, CONCURRENCY); // warm up
    await spawnLoop(inProcess, [], 50, CONCURRENCY);
    const bare: SpawnSample[] = [];
    const hosted: SpawnSample[] = [];
    const local: SpawnSample[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      const order = [
        async () => bare.push(await bareSpawnLoop(N, CONCURRENCY)),
        async () => hosted.push(await loop(viaHost, host.hostPid)),
        async () => local.push(await loop(inProcess)),
      ];
      for (let i = 0; i < order.length; i++) await order[(i + rep) % order.length]!();
    }
    const wall = (xs: SpawnSample[]) => xs.map((x) => x.ms / N);
    const cpu = (xs: SpawnSample[]) => xs.map((x) => x.cpuMs / N);
    const after = memoryOf(host.hostPid);
    const self = memoryOf(process.pid);

    // The no-window record, alone: start time from /proc plus one journal append (write(2)).
    const journal = new Journal(join(dataDir, 'bench-journal'));
    const record = {
      t: 'spawn' as const,
      key: 'step:0123456789abcdef:build:1',
      pid: process.pid,
      startTime: processStartTime(process.pid) ?? null,
      boot: 'b',
      instance: 'i',
      seq: 1,
      at: Date.now(),
      deadlineAt: null,
    };
    const startTimeUs = perCall(20_000, () => processStartTime(process.pid));
    const appendUs = perCall(20_000, () => journal.append(record));
    journal.close();

    const f = machineFacts();
    console.log(
      `spawn \`true\` ×${N}, concurrency ${CONCURRENCY}, ${REPS} interleaved repetitions; ` +
        `${f.cpus}× ${f.cpuModel}, node ${f.node}`,
    );
    console.log('median (min–max) per spawn: wall ms | CPU ms of the spawning processes');
    const row = (name: string, xs: SpawnSample[]) =>
      console.log(`  ${name.padEnd(40)} ${fmt(summarize(wall(xs)))} | ${fmt(summarize(cpu(xs)))}`);
    const ratio = (name: string, xs: SpawnSample[]) =>
      console.log(
        `  ${name.padEnd(40)} ${fmt(pairedRatio(wall(xs), wall(bare)), 2)}× | ` +
          `${fmt(pairedRatio(cpu(xs), cpu(bare)), 2)}×`,
      );
    row('bare node spawn loop (separate process)', bare);
    row('process host: client.run() (client+host)', hosted);
    row('in-process runner (this process)', local);
    ratio('host / bare (paired)', hosted);
    ratio('in-process / bare (paired)', local);
    console.log(
      `host RSS: ${idle.rss.toFixed(1)} MiB idle, ${after.rss.toFixed(1)} MiB after, ` +
        `peak ${after.hwm.toFixed(1)} MiB; this (tsx) process: ${self.rss.toFixed(1)} MiB`,
    );
    console.log(
      `no-window record: start time ${startTimeUs.toFixed(1)} µs + journal append ` +
        `${appendUs.toFixed(1)} µs per spawn (exit and release records: one append each)`,
    );
  } finally {
    await host.shutdown({ killProcesses: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();

/**
 * The raw spawn baselines: `n` spawns of one program at a fixed concurrency, through execa
 * (its defaults: piped and buffered stdio) or `node:child_process.spawn`.
 * @module
 */
import { spawn } from 'node:child_process';
import { execa } from 'execa';
import type { SpawnSample } from './bare-spawn.ts';
import { cpuMsOf } from './proc-stats.ts';

/** One spawn, resolved when the child has exited and its stdio closed. */
export type SpawnOnce = (argv: readonly string[]) => Promise<unknown>;

/** `execa(file, args)` with execa's defaults, as a user would write it. */
export const execaOnce: SpawnOnce = (argv) => execa(argv[0]!, argv.slice(1));

/** `child_process.spawn(file, args)` with default stdio, resolved on 'close'. */
export const spawnOnce: SpawnOnce = (argv) =>
  new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1));
    child.once('error', reject);
    child.once('close', resolve);
  });

/** Runs `n` spawns of `argv` with `concurrency` workers; returns wall ms. */
export async function spawnLoop(
  once: SpawnOnce,
  argv: readonly string[],
  n: number,
  concurrency: number,
): Promise<number> {
  let started = 0;
  const worker = async () => {
    while (started < n) {
      started++;
      await once(argv);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return performance.now() - t0;
}

/**
 * `spawnLoop` of `n` calls of `once` (no argv) in this process, with the CPU ms it cost this
 * process plus `alsoPid` (the process host that forks for it), as a SpawnSample.
 */
export async function timedSpawnLoop(
  once: () => Promise<unknown>,
  n: number,
  concurrency: number,
  alsoPid?: number,
): Promise<SpawnSample> {
  const other0 = alsoPid === undefined ? 0 : cpuMsOf(alsoPid);
  const cpu0 = process.cpuUsage();
  const ms = await spawnLoop(once, [], n, concurrency);
  const cpu = process.cpuUsage(cpu0);
  const other = alsoPid === undefined ? 0 : cpuMsOf(alsoPid) - other0;
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 + other };
}

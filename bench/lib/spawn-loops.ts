/**
 * The raw spawn baselines: `n` spawns of one program at a fixed concurrency, through execa
 * (its defaults: piped and buffered stdio) or `node:child_process.spawn`.
 * @module
 */
import { spawn } from 'node:child_process';
import { execa } from 'execa';

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

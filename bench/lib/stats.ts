/**
 * Statistics of repeated samples: median with min-max, ratios of medians, and the machine
 * facts every result file records.
 * @module
 */
import { cpus, totalmem } from 'node:os';

/** Summary of repeated samples of one figure. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Median, min and max of `samples` (must not be empty). */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('no samples');
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

/**
 * Per-repetition ratios `a[i] / b[i]` (both measured in the same repetition), summarized.
 * Pairing keeps the drift of a loaded VM out of the ratio.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): Summary {
  const n = Math.min(a.length, b.length);
  return summarize(Array.from({ length: n }, (_, i) => a[i]! / b[i]!));
}

/** Machine facts for the results header. */
export interface MachineFacts {
  cpus: number;
  cpuModel: string;
  memGb: number;
  node: string;
  platform: string;
}

/** The facts of this machine and runtime. */
export function machineFacts(): MachineFacts {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Milliseconds since `t0` (a `performance.now()` value). */
export function since(t0: number): number {
  return performance.now() - t0;
}

/** Runs the garbage collector when node was started with `--expose-gc`. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Wall and CPU (this process, user + system) milliseconds of one call. */
export interface Timing {
  ms: number;
  cpuMs: number;
}

/** Times `fn` in wall and CPU milliseconds. */
export async function timed(fn: () => Promise<unknown>): Promise<Timing> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

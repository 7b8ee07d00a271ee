/**
 * Loads bullmq from bench/node_modules without making it a type dependency of the repository:
 * it lives in bench/package.json only (see BASELINES.md: a root lock with bullmq breaks
 * `npm ci`), so typecheck must pass when it is not installed. The few members used are typed here.
 * @module
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where `cd bench && npm install` puts bullmq. */
export const BULLMQ_DIR = fileURLToPath(new URL('../node_modules/bullmq/', import.meta.url));

/** The message shown when the bench dependencies are missing. */
export const INSTALL_HINT =
  'bullmq is not installed for the benchmarks: run `cd bench && npm install`';

/** Redis connection options (ioredis form). */
export interface RedisOptions {
  host: string;
  port: number;
  maxRetriesPerRequest: null;
}

/** The part of bullmq's Queue the benchmark uses. */
export interface BullQueue {
  waitUntilReady(): Promise<unknown>;
  addBulk(jobs: Array<{ name: string; data: unknown }>): Promise<unknown[]>;
  obliterate(opts: { force: boolean }): Promise<void>;
  close(): Promise<void>;
}

/** The part of bullmq's Worker the benchmark uses. */
export interface BullWorker {
  waitUntilReady(): Promise<unknown>;
  on(event: 'completed', fn: () => void): unknown;
  on(event: 'failed' | 'error', fn: (...args: unknown[]) => void): unknown;
  close(): Promise<void>;
}

/** The part of the bullmq module the benchmark uses. */
export interface BullmqModule {
  Queue: new (name: string, opts: { connection: RedisOptions }) => BullQueue;
  Worker: new (
    name: string,
    processor: () => Promise<unknown>,
    opts: { connection: RedisOptions; concurrency: number },
  ) => BullWorker;
}

/** True when bench/node_modules has bullmq. */
export function bullmqInstalled(): boolean {
  return existsSync(BULLMQ_DIR);
}

/** Imports bullmq, or throws with the install hint. */
export async function loadBullmq(): Promise<BullmqModule & { version: string }> {
  if (!bullmqInstalled()) throw new Error(INSTALL_HINT);
  const specifier: string = 'bullmq';
  const mod = (await import(specifier)) as BullmqModule;
  const pkg = (await import(new URL('package.json', `file://${BULLMQ_DIR}`).href, {
    with: { type: 'json' },
  })) as { default: { version: string } };
  return { Queue: mod.Queue, Worker: mod.Worker, version: pkg.default.version };
}

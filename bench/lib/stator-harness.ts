/**
 * A Stator service for one benchmark: SQLite store in a fresh temp dir, no rehydration,
 * removed on close. Runs are timed from `execute()` to the end of `waitForExecution()`, the
 * path a library user takes.
 * @module
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStator, type Stator, type StatorOptions } from '../../src/index.ts';
import type { WorkflowDoc } from './workflows.ts';

/** A running service and how to dispose of it. */
export interface BenchStator {
  stator: Stator;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * Starts a service with a SQLite store in a new temp dir (unless `store` says otherwise). The
 * dir is removed by `close()`, or at process exit if a benchmark dies before closing.
 */
export async function startStator(options: StatorOptions = {}): Promise<BenchStator> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stator-bench-'));
  const removeAtExit = () => rmSync(dataDir, { recursive: true, force: true });
  process.once('exit', removeAtExit);
  const stator = await createStator({ dataDir, store: 'sqlite', rehydrate: false, ...options });
  return {
    stator,
    dataDir,
    close: async () => {
      process.removeListener('exit', removeAtExit);
      await stator.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs `doc` once (registered already) and returns the wall time in ms; throws unless completed. */
export async function timeRun(stator: Stator, workflowId: string): Promise<number> {
  const t0 = performance.now();
  const { executionId } = await stator.execute(workflowId);
  const record = await stator.waitForExecution(executionId, { timeoutMs: 600_000 });
  const ms = performance.now() - t0;
  if (record.status !== 'completed') {
    throw new Error(
      `${workflowId}: run ${executionId} ended ${record.status}: ${record.error?.message}`,
    );
  }
  return ms;
}

/** Starts `runs` executions of `workflowId` at once and waits for all; returns wall ms. */
export async function timeConcurrentRuns(
  stator: Stator,
  workflowId: string,
  runs: number,
): Promise<number> {
  const t0 = performance.now();
  const ids = await Promise.all(Array.from({ length: runs }, () => stator.execute(workflowId)));
  const records = await Promise.all(
    ids.map(({ executionId }) => stator.waitForExecution(executionId, { timeoutMs: 600_000 })),
  );
  const ms = performance.now() - t0;
  const bad = records.find((r) => r.status !== 'completed');
  if (bad)
    throw new Error(`${workflowId}: run ${bad.id} ended ${bad.status}: ${bad.error?.message}`);
  return ms;
}

/** Registers `doc` and returns its id. */
export async function register(stator: Stator, doc: WorkflowDoc): Promise<string> {
  await stator.registerWorkflow(doc);
  return doc.id;
}

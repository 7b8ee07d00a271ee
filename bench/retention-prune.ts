/**
 * Retention on SQLite: how long one prune batch holds the event loop. A store file is seeded
 * with finished runs shaped like real ones (3 steps, 10 log lines each, ~2.3 KB stored per run)
 * and a few unfinished ones; the service's pruner (src/runtime/retention.ts) then removes the
 * finished ones in batches. The store deletes a batch in transactions of at most ~8 ms with a
 * turn of the event loop between them; what matters is how long the loop goes without a turn.
 * A chain of setImmediate callbacks measures that (the gap between two callbacks is the longest
 * synchronous block in between), during the pass and, as the machine's noise floor, while the
 * process idles for as long (a loaded machine deschedules the process now and then).
 *
 * Run: `npx tsx bench/retention-prune.ts [--runs 10000] [--batches 100,500,1000,10000]`
 * @module
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { systemClock } from '../src/clock.ts';
import { newId } from '../src/ids.ts';
import { Retention, resolveRetentionOptions } from '../src/runtime/index.ts';
import { createSqliteStore, type ExecutionRecord, type Store } from '../src/store/index.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    batches: { type: 'string', default: '100,500,1000,10000' },
  },
});
const RUNS = Number(values.runs);
const BATCHES = values.batches.split(',').map(Number);
const UNFINISHED = 20;
const STEPS = ['build', 'test', 'deploy'];

function record(finished: boolean, i: number): ExecutionRecord {
  const at = new Date(Date.parse('2026-01-01T00:00:00Z') + i * 1000).toISOString();
  const noop = (id: string) => ({
    id,
    kind: 'exec' as const,
    argv: ['echo', id],
    needs: [],
    retry: { attempts: 1, backoffMs: 1000, factor: 2, maxMs: 300_000, jitter: 0 },
    env: {},
    continueOnError: false,
  });
  return {
    id: newId('ex'),
    workflowId: 'deploy',
    status: finished ? 'completed' : 'running',
    input: { branch: 'main', sha: 'f'.repeat(40) },
    createdAt: at,
    startedAt: at,
    finishedAt: finished ? at : null,
    error: null,
    engineId: 'node-1-e1',
    node: 'node-1',
    definition: { id: 'deploy', env: {}, concurrency: 16, steps: STEPS.map(noop) } as never,
    steps: STEPS.map((id) => ({
      id,
      status: finished ? 'succeeded' : 'running',
      attempts: 1,
      exitCode: finished ? 0 : null,
      startedAt: at,
      finishedAt: finished ? at : null,
      error: null,
    })),
  };
}

async function seed(store: Store): Promise<void> {
  const lines = (stepId: string) =>
    Array.from({ length: 10 }, (_, n) => ({
      stepId,
      stream: 'stdout' as const,
      line: `${stepId} line ${n}: ${'x'.repeat(40)}`,
      ts: '2026-01-01T00:00:00.000Z',
      attempt: 1,
    }));
  for (let i = 0; i < RUNS + UNFINISHED; i += 500) {
    const chunk = Array.from({ length: Math.min(500, RUNS + UNFINISHED - i) }, (_, k) =>
      record(i + k < RUNS, i + k),
    );
    await Promise.all(
      chunk.map(async (r) => {
        await store.createExecution(r);
        await Promise.all(STEPS.map((s) => store.appendLogs(r.id, lines(s))));
      }),
    );
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Turns {
  /** Wall time between two turns, ms: p99 and max. */
  wall: { p99: number; max: number };
  /** CPU time the process used between two turns, ms (what a loaded machine cannot inflate). */
  cpu: { p99: number; max: number };
}

/** Gaps between turns of the event loop until `stop()`. */
function watchTurns(): { stop(): Turns } {
  const wall: number[] = [];
  const cpu: number[] = [];
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let running = true;
  const turn = () => {
    const now = performance.now();
    const used = process.cpuUsage(lastCpu);
    wall.push(now - last);
    cpu.push((used.user + used.system) / 1000);
    last = now;
    lastCpu = process.cpuUsage();
    if (running) setImmediate(turn);
  };
  setImmediate(turn);
  const stats = (xs: number[]) => {
    const sorted = xs.sort((a, b) => a - b);
    return { p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? 0 };
  };
  return {
    stop() {
      running = false;
      return { wall: stats(wall), cpu: stats(cpu) };
    },
  };
}

const fmt = (g: { p99: number; max: number }) => `${g.p99.toFixed(1)} / ${g.max.toFixed(1)}`;

async function measure(batchSize: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'stator-bench-ret-'));
  try {
    const path = join(dir, 'stator.db');
    const store = createSqliteStore({ path });
    await seed(store);
    const bytesBefore = statSync(path).size + statSync(`${path}-wal`).size;
    let batches = 0;
    const counted: Pick<Store, 'pruneExecutions'> = {
      pruneExecutions: (query) => (batches++, store.pruneExecutions(query)),
    };
    const retention = new Retention(
      { store: counted, clock: systemClock, logger: pino({ level: 'silent' }) },
      resolveRetentionOptions({ keep: '1d', batchSize }),
    );
    const during = watchTurns();
    const t0 = performance.now();
    const removed = await retention.runNow();
    const totalMs = performance.now() - t0;
    const pruning = during.stop();
    const idle = watchTurns();
    await new Promise((resolve) => setTimeout(resolve, totalMs));
    const floor = idle.stop();
    const left = await store.listExecutions({ limit: 500 });
    await store.close();
    if (removed !== RUNS || left.items.length !== UNFINISHED) {
      throw new Error(`removed ${removed}, left ${left.items.length}`);
    }
    return (
      `| ${batchSize} | ${batches} | ${fmt(pruning.cpu)} | ${fmt(pruning.wall)} | ` +
      `${fmt(floor.cpu)} | ${fmt(floor.wall)} | ` +
      `${(totalMs / 1000).toFixed(2)} | ${(bytesBefore / RUNS / 1024).toFixed(1)} KiB |`
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`Pruning ${RUNS} finished runs (and keeping ${UNFINISHED} running) on SQLite`);
console.log('');
console.log(
  '| batch | batches | pruning: CPU per turn p99 / max ms | wall per turn | idle: CPU per turn | wall per turn | pass s | file per run |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const batch of BATCHES) console.log(await measure(batch));

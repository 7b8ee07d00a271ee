/**
 * (d) Single-step noop executions per second through Stator against BullMQ on the local
 * Redis (127.0.0.1:6379) processing the same number of no-op jobs at the same concurrency
 * (Stator's engines × slots = the Worker's concurrency). Each side is timed from enqueueing
 * the first item to the completion event of the last; both keep their finished records.
 * A unique queue name is used and obliterated at the end.
 *
 *   (cd bench && npm install) && npx tsx bench/bullmq-compare.ts [--reps 5] [--quick]
 * @module
 */
import { register, startStator } from './lib/stator-harness.ts';
import { NOOP_STEP } from './lib/workflows.ts';
import {
  loadBullmq,
  type BullQueue,
  type BullWorker,
  type RedisOptions,
} from './lib/bullmq-loader.ts';
import { collectGarbage, pairedRatio, summarize } from './lib/stats.ts';
import { num, ratio, spread } from './lib/format.ts';
import { benchMain, progress, type BenchArgs, type BenchReport } from './lib/report.ts';
import type { Stator } from '../src/index.ts';

const ENGINES = 2;
const SLOTS = 8;
const CONCURRENCY = ENGINES * SLOTS;
const REDIS: RedisOptions = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const DEADLINE_MS = 120_000;

/** Resolves once `count` more events arrive through `arm`; rejects after the deadline. */
function counter(what: string) {
  let target = 0;
  let seen = 0;
  let done: (() => void) | undefined;
  return {
    hit(): void {
      if (++seen >= target && done) {
        const d = done;
        done = undefined;
        d();
      }
    },
    arm(count: number): Promise<void> {
      seen = 0;
      target = count;
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`${what}: ${seen} of ${count} completions after ${DEADLINE_MS} ms`)),
          DEADLINE_MS,
        );
        done = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}

async function timeStator(
  stator: Stator,
  workflowId: string,
  jobs: number,
  completions: ReturnType<typeof counter>,
) {
  const all = completions.arm(jobs);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: jobs }, () => stator.execute(workflowId)));
  await all;
  return performance.now() - t0;
}

async function timeBullmq(queue: BullQueue, jobs: number, completions: ReturnType<typeof counter>) {
  const all = completions.arm(jobs);
  const t0 = performance.now();
  await queue.addBulk(Array.from({ length: jobs }, (_, i) => ({ name: 'noop', data: { i } })));
  await all;
  return performance.now() - t0;
}

async function bullmqCompare({ reps, quick }: BenchArgs): Promise<BenchReport> {
  const jobs = quick ? 1_000 : 5_000;
  const bull = await loadBullmq();
  const queueName = `stator-bench-${process.pid}-${Date.now().toString(36)}`;
  const bench = await startStator({ engines: ENGINES, slotsPerEngine: SLOTS });
  const workflowId = await register(bench.stator, {
    id: 'single-noop',
    concurrency: 1,
    steps: [{ id: 'only', ...NOOP_STEP }],
  });
  const statorDone = counter('Stator');
  const sub = bench.stator.subscribe(() => statorDone.hit(), {
    filter: { workflowId, type: 'execution.completed' },
    bufferSize: jobs * 2,
    name: 'bench',
  });
  const bullDone = counter('BullMQ');
  let queue: BullQueue | undefined;
  let worker: BullWorker | undefined;
  const rate = { stator: [] as number[], bullmq: [] as number[] };
  try {
    queue = new bull.Queue(queueName, { connection: REDIS });
    await queue.waitUntilReady().catch((err: unknown) => {
      throw new Error(`BullMQ baseline needs Redis on ${REDIS.host}:${REDIS.port}: ${String(err)}`);
    });
    worker = new bull.Worker(queueName, async () => undefined, {
      connection: REDIS,
      concurrency: CONCURRENCY,
    });
    worker.on('completed', () => bullDone.hit());
    worker.on('failed', (...args) => progress(`BullMQ job failed: ${String(args[1])}`));
    await worker.waitUntilReady();

    progress('warm-up');
    await timeStator(bench.stator, workflowId, Math.min(500, jobs), statorDone);
    await timeBullmq(queue, Math.min(500, jobs), bullDone);
    for (let rep = 0; rep < reps; rep++) {
      const order =
        rep % 2 === 0 ? (['stator', 'bullmq'] as const) : (['bullmq', 'stator'] as const);
      for (const side of order) {
        collectGarbage();
        const ms =
          side === 'stator'
            ? await timeStator(bench.stator, workflowId, jobs, statorDone)
            : await timeBullmq(queue, jobs, bullDone);
        rate[side].push(jobs / (ms / 1000));
      }
      progress(`rep ${rep + 1}/${reps} done`);
    }
  } finally {
    sub.unsubscribe();
    await worker?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await bench.close();
  }

  const s = summarize(rate.stator);
  const b = summarize(rate.bullmq);
  const vs = pairedRatio(rate.stator, rate.bullmq);
  return {
    id: 'd',
    title: 'Single-step noop executions per second: Stator vs BullMQ',
    command: `(cd bench && npm install) && node --expose-gc --max-semi-space-size=64 --import tsx bench/bullmq-compare.ts --reps ${reps}${quick ? ' --quick' : ''}`,
    setup:
      `${num(jobs, 0)} items per sample at concurrency ${CONCURRENCY}. Stator: ${ENGINES} engines × ${SLOTS} slots, ` +
      `SQLite store in a temp dir, ${num(jobs, 0)} execute() calls of a one-step noop workflow, done when the last ` +
      `\`execution.completed\` event reaches a subscriber. BullMQ ${bull.version} (ioredis) on the local Redis, same ` +
      `process: one Queue, one Worker (concurrency ${CONCURRENCY}, async no-op processor), addBulk of ${num(jobs, 0)} ` +
      `jobs, done at the last worker \`completed\` event; completed jobs kept (BullMQ's default), like Stator's ` +
      `execution records. ${reps} repetitions, order alternated; the ratio is the median of per-repetition ratios.`,
    head: ['system', 'executions/s median (min–max)', 'µs/execution', 'vs BullMQ'],
    rows: [
      [
        'Stator (single-step noop workflow)',
        spread(s, (x) => num(x, 0)),
        num(1e6 / s.median, 1),
        ratio(vs),
      ],
      [
        `BullMQ ${bull.version} (no-op job)`,
        spread(b, (x) => num(x, 0)),
        num(1e6 / b.median, 1),
        '1.00x',
      ],
    ],
    targets: [
      {
        name: 'Stator executions/s ÷ BullMQ jobs/s',
        target: 'none: report the ratio',
        measured: `${num(vs.median, 2)}x`,
        met: null,
      },
    ],
    notes: [],
  };
}

await benchMain(bullmqCompare);

/**
 * Issue 10 (item 5): cluster throughput flat in history. One process runs Stator on the cluster
 * seams of `connectCluster()` (NATS bus, JetStream store, JetStream work queue) against a
 * private `nats-server -js` started here (random ports, temp store, monitoring port open), and
 * BullMQ on the local Redis (127.0.0.1:6379) in the same run.
 *
 * Throughput: single-step noop executions requested as `stator.api.workflow.execute` by a plain
 * NATS client (64 in flight), timed per block of 2,000 from the first request to the block's
 * last `execution.completed`; history keeps growing (retention `forever`: nothing is pruned)
 * up to 20,000, and one more block runs after that. Each block is paired with a block of as many BullMQ no-op jobs
 * (`queue.add` one by one, same bound in flight, a Worker at Stator's engines × slots).
 * Latency: a 3-step noop chain, `workflow.execute` request to `execution.completed` on
 * `stator.execution.<id>.out`, sequential, measured after the throughput blocks (full history).
 *
 *   (cd bench && npm install) && npx tsx bench/cluster-throughput.ts [--reps 1] [--quick]
 * @module
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { connectCluster } from '../src/runtime/cluster.ts';
import { subjectSpace, type SubjectSpace } from '../src/bus/index.ts';
import type { Stator } from '../src/index.ts';
import { uniquePrefix } from '../test/helpers/nats-server.ts';
import { register, startStator } from './lib/stator-harness.ts';
import { chain, NOOP_STEP } from './lib/workflows.ts';
import { loadBullmq, type BullQueue, type RedisOptions } from './lib/bullmq-loader.ts';
import { countdown, percentiles, pipelined, type Countdown } from './lib/load.ts';
import { collectGarbage } from './lib/stats.ts';
import { benchMain, progress, type BenchArgs, type BenchReport } from './lib/report.ts';
import { readCounters, startMonitoredNats } from './lib/nats-monitor.ts';
import { executeToCompleted } from './lib/execute-to-completed.ts';
import {
  clusterThroughputReport,
  type Block,
  type Series,
} from './lib/cluster-throughput-report.ts';

const ENGINES = 2;
const SLOTS = 8;
const IN_FLIGHT = 64;
const WARM_UP = 1_000;
const REDIS: RedisOptions = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const SINGLE = { id: 'single-noop', concurrency: 1, steps: [{ id: 'only', ...NOOP_STEP }] };
const CHAIN = chain('chain3-noop', 3, NOOP_STEP);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

type AddQueue = BullQueue & { add(name: string, data: unknown): Promise<unknown> };
type WorkerCtor = new (
  name: string,
  processor: () => Promise<unknown>,
  opts: { connection: RedisOptions; concurrency: number },
) => {
  waitUntilReady(): Promise<unknown>;
  on(e: string, fn: () => void): unknown;
  close(): Promise<void>;
};

/** Counts `stator`'s `execution.completed` events of `workflowId`. */
function completions(stator: Stator, workflowId: string): { done: Countdown; stop(): void } {
  const done = countdown(workflowId, 300_000);
  const sub = stator.subscribe(() => done.hit(), {
    filter: { workflowId, type: 'execution.completed' },
    bufferSize: 100_000,
    name: 'bench',
  });
  return { done, stop: () => sub.unsubscribe() };
}

/** Issues `n` requests with IN_FLIGHT pending; resolves at the n-th completion; returns /s. */
async function rate(n: number, done: Countdown, one: () => Promise<unknown>): Promise<number> {
  const all = done.arm(n);
  const t0 = performance.now();
  await pipelined(n, IN_FLIGHT, one);
  await all;
  return n / ((performance.now() - t0) / 1000);
}

async function apiExecute(
  nc: NatsConnection,
  names: SubjectSpace,
  workflowId: string,
): Promise<void> {
  const body = encoder.encode(JSON.stringify({ workflowId }));
  const msg = await nc.request(names.apiSubject('workflow.execute'), body, { timeout: 60_000 });
  const reply = JSON.parse(decoder.decode(msg.data)) as { ok: boolean; error?: unknown };
  if (!reply.ok) throw new Error(`workflow.execute refused: ${JSON.stringify(reply.error)}`);
}

/** One series on a fresh server: the blocks, then the latency probe. */
async function series(blockSize: number, blocks: number, latencyN: number): Promise<Series> {
  const bull = await loadBullmq();
  const logger = pino({ level: 'silent' });
  const prefix = uniquePrefix('bench');
  const names = subjectSpace(prefix);
  const queueName = `stator-bench-cluster-${process.pid}-${Date.now().toString(36)}`;
  const closers: Array<() => Promise<unknown> | unknown> = [];
  try {
    const { server, monitorUrl } = await startMonitoredNats();
    closers.push(() => server.stop());
    const seams = await connectCluster({ url: server.url, name: 'bench-cluster', prefix, logger });
    closers.push(() => seams.close());
    const cluster = await startStator({
      bus: seams.bus,
      store: seams.store,
      workQueue: seams.workQueue,
      engines: ENGINES,
      slotsPerEngine: SLOTS,
      node: 'bench-cluster',
      // History must grow; retention's passes (a scan of `done.*` every 10 min, the first one
      // after 60 s) are background work, not the per-run path measured here.
      retention: { keep: 'forever' },
    });
    closers.push(() => cluster.close());
    await register(cluster.stator, SINGLE);
    await register(cluster.stator, CHAIN);
    // As the service's own connection does: no stack capture per request (bench CPU, not Stator's).
    const client = await connect({
      servers: server.url,
      name: 'bench-plain-client',
      noAsyncTraces: true,
    });
    closers.push(() => client.close());
    const single = completions(cluster.stator, SINGLE.id);
    closers.push(single.stop);

    const queue = new bull.Queue(queueName, { connection: REDIS }) as AddQueue;
    closers.push(async () => {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    });
    await queue.waitUntilReady().catch((err: unknown) => {
      throw new Error(`BullMQ baseline needs Redis on ${REDIS.host}:${REDIS.port}: ${String(err)}`);
    });
    const bullDone = countdown('BullMQ', 300_000);
    const Worker = bull.Worker as unknown as WorkerCtor;
    const worker = new Worker(queueName, async () => undefined, {
      connection: REDIS,
      concurrency: ENGINES * SLOTS,
    });
    closers.push(() => worker.close());
    worker.on('completed', () => bullDone.hit());
    await worker.waitUntilReady();

    // Long enough for the JIT to settle, so the first block is not the slow one for that reason.
    progress(`warm-up (${WARM_UP} each)`);
    await rate(WARM_UP, single.done, () => apiExecute(client, names, SINGLE.id));
    await rate(WARM_UP, bullDone, () => queue.add('noop', {}));
    const out: Block[] = [];
    let history = WARM_UP;
    for (let b = 0; b < blocks; b++) {
      collectGarbage();
      const before = await readCounters(monitorUrl);
      const cpu0 = process.cpuUsage();
      const stator = await rate(blockSize, single.done, () => apiExecute(client, names, SINGLE.id));
      const cpu = process.cpuUsage(cpu0);
      const after = await readCounters(monitorUrl);
      const bullCpu0 = process.cpuUsage();
      const bullmq = await rate(blockSize, bullDone, () => queue.add('noop', {}));
      const bullCpu = process.cpuUsage(bullCpu0);
      out.push({
        historyBefore: history,
        stator,
        bullmq,
        nodeCpuUsPerExec: (cpu.user + cpu.system) / blockSize,
        bullCpuUsPerJob: (bullCpu.user + bullCpu.system) / blockSize,
        apiCallsPerExec: (after.apiTotal - before.apiTotal) / blockSize,
        serverCpu: after.cpu,
        consumers: after.consumers,
      });
      history += blockSize;
      progress(
        `block ${b + 1}/${blocks}: ${stator.toFixed(0)}/s (BullMQ ${bullmq.toFixed(0)}/s), ` +
          `history ${history}, API calls/exec ${out.at(-1)!.apiCallsPerExec.toFixed(2)}`,
      );
    }
    progress(`latency: ${latencyN} sequential 3-step runs`);
    for (let i = 0; i < 20; i++)
      await executeToCompleted(client, names, CHAIN.id, `warm-${prefix}-${i}`);
    const lat: number[] = [];
    for (let i = 0; i < latencyN; i++) {
      lat.push(await executeToCompleted(client, names, CHAIN.id, `lat-${prefix}-${i}`));
    }
    return {
      blocks: out,
      latency: percentiles(lat),
      latencyHistory: history + 20,
      natsVersion: client.info?.version ?? 'unknown',
      bullmqVersion: bull.version,
    };
  } finally {
    for (const close of closers.reverse()) {
      await Promise.resolve()
        .then(close)
        .catch((err: unknown) => progress(`cleanup: ${String(err)}`));
    }
  }
}

async function clusterThroughput({ reps, quick }: BenchArgs): Promise<BenchReport> {
  const blockSize = quick ? 500 : 2_000;
  const blocks = quick ? 4 : 11;
  const latencyN = quick ? 100 : 500;
  const runs: Series[] = [];
  for (let r = 0; r < reps; r++) {
    progress(`series ${r + 1}/${reps}`);
    runs.push(await series(blockSize, blocks, latencyN));
  }
  return clusterThroughputReport(runs, {
    quick,
    blockSize,
    inFlight: IN_FLIGHT,
    engines: ENGINES,
    slots: SLOTS,
    latencyN,
  });
}

await benchMain(clusterThroughput, 1);

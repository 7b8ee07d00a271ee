/**
 * (nats) Issue 3: Stator in NATS mode — the cluster seams of `connectCluster()` (NATS bus,
 * JetStream store, JetStream work queue) on a private `nats-server -js` started here on a
 * random port with a temp store dir, and a fresh JetStream prefix.
 *
 * Throughput: single-step noop executions/s, requested as `stator.api.workflow.execute` by a
 * plain NATS client (64 in flight), against BullMQ on the local Redis (127.0.0.1:6379) processing as many no-op jobs at the same
 * concurrency (engines × slots), added one by one with the same bound in flight; embedded
 * mode (SQLite store, in-process bus and queue) for context.
 * Latency: `workflow.execute` request to the step's `step.started` on
 * `stator.execution.<id>.out`, sequential; baselines: a NATS request-reply round trip, and
 * BullMQ `add` to processor start.
 *
 *   (cd bench && npm install) && npx tsx bench/nats-mode.ts [--reps 5] [--quick]
 * @module
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { connectCluster, type ClusterSeams } from '../src/runtime/cluster.ts';
import { subjectSpace, type SubjectSpace } from '../src/bus/index.ts';
import type { Stator } from '../src/index.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../test/helpers/nats-server.ts';
import { register, startStator, type BenchStator } from './lib/stator-harness.ts';
import { NOOP_STEP } from './lib/workflows.ts';
import { loadBullmq, type BullQueue, type RedisOptions } from './lib/bullmq-loader.ts';
import { countdown, percentiles, pipelined, type Countdown } from './lib/load.ts';
import { echoRoundTrips, executeToStepStarted, startEcho } from './lib/nats-latency.ts';
import { collectGarbage } from './lib/stats.ts';
import { benchMain, progress, type BenchArgs, type BenchReport } from './lib/report.ts';
import { natsModeReport, type Samples, type Side } from './lib/nats-mode-report.ts';

const ENGINES = 2;
const SLOTS = 8;
const IN_FLIGHT = 64;
const REDIS: RedisOptions = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const WORKFLOW = { id: 'single-noop', concurrency: 1, steps: [{ id: 'only', ...NOOP_STEP }] };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The parts of bullmq's Queue and Worker used here beyond bench/lib/bullmq-loader.ts. */
type AddQueue = BullQueue & { add(name: string, data: unknown): Promise<unknown> };
type JobProcessor = (job: { data: { k?: number } }) => Promise<unknown>;
type WorkerCtor = new (
  name: string,
  processor: JobProcessor,
  opts: { connection: RedisOptions; concurrency: number },
) => {
  waitUntilReady(): Promise<unknown>;
  on(e: string, fn: () => void): unknown;
  close(): Promise<void>;
};

/** Counts a Stator's `execution.completed` events for `workflowId`. */
function completions(stator: Stator, what: string, capacity: number) {
  const done = countdown(what);
  const sub = stator.subscribe(() => done.hit(), {
    filter: { workflowId: WORKFLOW.id, type: 'execution.completed' },
    bufferSize: capacity,
    name: 'bench',
  });
  return { done, stop: () => sub.unsubscribe() };
}

/** Issues `n` requests with `IN_FLIGHT` pending; resolves at the `n`-th completion. */
async function timeItems(n: number, done: Countdown, one: (i: number) => Promise<unknown>) {
  const all = done.arm(n);
  const t0 = performance.now();
  await pipelined(n, IN_FLIGHT, one);
  await all;
  return performance.now() - t0;
}

async function apiExecute(nc: NatsConnection, names: SubjectSpace): Promise<void> {
  const body = encoder.encode(JSON.stringify({ workflowId: WORKFLOW.id }));
  const msg = await nc.request(names.apiSubject('workflow.execute'), body, { timeout: 30_000 });
  const reply = JSON.parse(decoder.decode(msg.data)) as { ok: boolean; error?: unknown };
  if (!reply.ok) throw new Error(`workflow.execute refused: ${JSON.stringify(reply.error)}`);
}

async function natsMode({ reps, quick }: BenchArgs): Promise<BenchReport> {
  const items = quick ? 300 : 1_000;
  const latencyN = quick ? 100 : 500;
  const bull = await loadBullmq();
  const logger = pino({ level: 'silent' });
  const prefix = uniquePrefix('bench');
  const names = subjectSpace(prefix);
  const queueName = `stator-bench-nats-${process.pid}-${Date.now().toString(36)}`;
  const closers: Array<() => Promise<unknown> | unknown> = [];
  const samples: Samples = { rate: {}, latency: {}, history: [] };
  let created = 0;
  try {
    const server: NatsServer = await startNatsServer({ private: true });
    closers.push(() => server.stop());
    const seams: ClusterSeams = await connectCluster({
      url: server.url,
      name: 'bench-nats-mode',
      prefix,
      logger,
    });
    closers.push(() => seams.close());
    const cluster: BenchStator = await startStator({
      bus: seams.bus,
      store: seams.store,
      workQueue: seams.workQueue,
      engines: ENGINES,
      slotsPerEngine: SLOTS,
      node: 'bench-nats',
    });
    closers.push(() => cluster.close());
    const embedded = await startStator({ engines: ENGINES, slotsPerEngine: SLOTS });
    closers.push(() => embedded.close());
    await register(cluster.stator, WORKFLOW);
    await register(embedded.stator, WORKFLOW);
    const client = await connect({ servers: server.url, name: 'bench-plain-client' });
    closers.push(() => client.close());
    const responder = await connect({ servers: server.url, name: 'bench-echo' });
    closers.push(() => responder.close());
    closers.push(await startEcho(responder));

    const clusterDone = completions(cluster.stator, 'NATS mode', items * 4);
    closers.push(clusterDone.stop);
    const embeddedDone = completions(embedded.stator, 'embedded', items * 4);
    closers.push(embeddedDone.stop);

    const queue = new bull.Queue(queueName, { connection: REDIS }) as AddQueue;
    closers.push(async () => {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    });
    await queue.waitUntilReady().catch((err: unknown) => {
      throw new Error(`BullMQ baseline needs Redis on ${REDIS.host}:${REDIS.port}: ${String(err)}`);
    });
    const bullDone = countdown('BullMQ');
    const bullStarts = new Map<number, (t: number) => void>();
    const Worker = bull.Worker as unknown as WorkerCtor;
    const worker = new Worker(
      queueName,
      async (job) => {
        if (job.data.k !== undefined) bullStarts.get(job.data.k)?.(performance.now());
      },
      { connection: REDIS, concurrency: ENGINES * SLOTS },
    );
    closers.push(() => worker.close());
    worker.on('completed', () => bullDone.hit());
    await worker.waitUntilReady();

    const throughput: Record<Side, (n: number) => Promise<number>> = {
      natsApi: (n) => {
        created += n;
        return timeItems(n, clusterDone.done, () => apiExecute(client, names));
      },
      embedded: (n) => timeItems(n, embeddedDone.done, () => embedded.stator.execute(WORKFLOW.id)),
      bullmq: (n) => timeItems(n, bullDone, (i) => queue.add('noop', { i })),
    };
    let seq = 0;
    const latency = {
      executeToStep: async (n: number) => {
        const out = { reply: [] as number[], step: [] as number[] };
        created += n;
        for (let i = 0; i < n; i++) {
          const t = await executeToStepStarted(
            client,
            names,
            WORKFLOW.id,
            `lat-${prefix}-${seq++}`,
          );
          out.reply.push(t.reply);
          out.step.push(t.stepStarted);
        }
        return out;
      },
      natsRtt: (n: number) => echoRoundTrips(client, n, { workflowId: WORKFLOW.id, seq }),
      bullmqStart: async (n: number) => {
        const out: number[] = [];
        for (let k = 0; k < n; k++) {
          const completed = bullDone.arm(1);
          const started = new Promise<number>((r) => bullStarts.set(k, r));
          const t0 = performance.now();
          await queue.add('lat', { k });
          out.push((await started) - t0);
          bullStarts.delete(k);
          await completed;
        }
        return out;
      },
    };

    progress('warm-up');
    for (const side of Object.keys(throughput) as Side[]) await throughput[side](200);
    await latency.executeToStep(50);
    await latency.natsRtt(200);
    await latency.bullmqStart(50);
    const sides = Object.keys(throughput) as Side[];
    for (let rep = 0; rep < reps; rep++) {
      samples.history.push(created);
      for (let i = 0; i < sides.length; i++) {
        const side = sides[(i + rep) % sides.length]!;
        collectGarbage();
        const ms = await throughput[side](items);
        (samples.rate[side] ??= []).push(items / (ms / 1000));
      }
      collectGarbage();
      const exec = await latency.executeToStep(latencyN);
      const push = (k: keyof Samples['latency'], xs: number[]) =>
        (samples.latency[k] ??= []).push(percentiles(xs));
      push('executeReply', exec.reply);
      push('executeToStep', exec.step);
      push('natsRtt', await latency.natsRtt(latencyN));
      push('bullmqStart', await latency.bullmqStart(latencyN));
      progress(`rep ${rep + 1}/${reps} done`);
    }
    samples.history.push(created);
    return natsModeReport(samples, {
      reps,
      quick,
      items,
      latencyN,
      inFlight: IN_FLIGHT,
      engines: ENGINES,
      slots: SLOTS,
      bullmqVersion: bull.version,
      natsVersion: `nats-server ${client.info?.version ?? 'unknown'}`,
    });
  } finally {
    for (const close of closers.reverse()) {
      await Promise.resolve()
        .then(close)
        .catch((err: unknown) => progress(`cleanup: ${String(err)}`));
    }
  }
}

await benchMain(natsMode);

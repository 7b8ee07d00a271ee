/**
 * Admission under a burst: N executes of a noop workflow against a node whose queue holds at
 * most `--max-queued` runs (SQLite store, 2 engines x 8 slots). Reports how many were accepted
 * and refused (429 `queue_full`), that every accepted run completed (its `execution.completed`
 * reached a subscriber, and its record says so), that no refused one left a record, the time to
 * drain, and the process's RSS and heap: before, at the peak (sampled every 20 ms) and after the
 * drain. Nobody awaits the runs one by one (`waitForExecution`): a server's clients do not. `--http` sends the burst over loopback HTTP (`--connections` at a time)
 * instead of the library API.
 *
 *   node --max-semi-space-size=64 --expose-gc --import tsx bench/admission.ts \
 *     [--executes 20000] [--max-queued 10000] [--http] [--connections 256]
 * @module
 */
import { parseArgs } from 'node:util';
import { Agent, request } from 'node:http';
import { createHttpApp, startHttpServer } from '../src/http/index.ts';
import type { Stator } from '../src/index.ts';
import { startStator } from './lib/stator-harness.ts';

const { values } = parseArgs({
  options: {
    executes: { type: 'string', default: '20000' },
    'max-queued': { type: 'string', default: '10000' },
    http: { type: 'boolean', default: false },
    connections: { type: 'string', default: '256' },
  },
});
const EXECUTES = Number(values.executes);
const MAX_QUEUED = Number(values['max-queued']);
const CONNECTIONS = Number(values.connections);
const MB = 1024 * 1024;

type Outcome = { accepted: string[]; refused: string[]; other: string[] };

/** Every execute at once through the library API; each names its execution id. */
async function burstLibrary(stator: Stator, ids: string[]): Promise<Outcome> {
  const out: Outcome = { accepted: [], refused: [], other: [] };
  await Promise.all(
    ids.map((executionId) =>
      stator.execute('noop', {}, { executionId }).then(
        () => out.accepted.push(executionId),
        (err: { code?: string }) =>
          (err.code === 'queue_full' ? out.refused : out.other).push(executionId),
      ),
    ),
  );
  return out;
}

/** The executes over HTTP, `CONNECTIONS` in flight on keep-alive sockets. */
async function burstHttp(port: number, ids: string[]): Promise<Outcome> {
  const out: Outcome = { accepted: [], refused: [], other: [] };
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let next = 0;
  const one = (executionId: string) =>
    new Promise<void>((resolve) => {
      const body = JSON.stringify({ executionId });
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/workflows/noop/execute',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 202) out.accepted.push(executionId);
            else if (res.statusCode === 429 && res.headers['retry-after'])
              out.refused.push(executionId);
            else out.other.push(executionId);
            resolve();
          });
        },
      );
      req.on('error', () => {
        out.other.push(executionId);
        resolve();
      });
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < ids.length) await one(ids[next++]!);
    }),
  );
  agent.destroy();
  return out;
}

async function main(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const bench = await startStator({
    engines: 2,
    slotsPerEngine: 8,
    queueLimit: MAX_QUEUED,
    processHost: false,
    rateLimit: { ratePerSecond: 0 },
  });
  const { stator } = bench;
  const server = values.http
    ? await startHttpServer({ app: createHttpApp({ stator }) })
    : undefined;
  try {
    await stator.registerWorkflow({ id: 'noop', steps: [{ id: 'a', noop: true }] });
    // Warm-up: the code paths compiled, the store's statements prepared.
    for (let i = 0; i < 50; i++) {
      await stator.waitForExecution((await stator.execute('noop')).executionId);
    }
    const ended = new Set<string>();
    let onEnded = () => {};
    const sub = stator.subscribe(
      (e) => {
        if (e.type !== 'execution.completed' && e.type !== 'execution.failed') return;
        ended.add((e as { executionId: string }).executionId);
        onEnded();
      },
      { bufferSize: 1_000_000, name: 'bench-admission' },
    );
    gc?.();
    const before = process.memoryUsage();
    let peak = before.rss;
    let peakHeap = before.heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 20);
    const ids = Array.from({ length: EXECUTES }, (_, i) => `ex_burst_${i}`);
    const t0 = performance.now();
    const out = server ? await burstHttp(server.port, ids) : await burstLibrary(stator, ids);
    const burstMs = performance.now() - t0;
    const queuedAfterBurst = (await stator.health()).engines[0]?.queued ?? 0;
    const accepted = new Set(out.accepted);
    const allEnded = () => [...accepted].every((id) => ended.has(id));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('runs did not finish in 120 s')), 120_000);
      onEnded = () => {
        if (ended.size >= accepted.size && allEnded()) {
          clearTimeout(timer);
          resolve();
        }
      };
      onEnded();
    });
    const drainMs = performance.now() - t0;
    clearInterval(sampler);
    sub.unsubscribe();
    peak = Math.max(peak, process.memoryUsage().rss);
    let completed = 0;
    for (const id of out.accepted) {
      if ((await stator.getExecution(id)).status === 'completed') completed++;
    }
    let leftover = 0;
    for (const id of out.refused) {
      if ((await stator.getExecution(id).catch(() => undefined)) !== undefined) leftover++;
    }
    gc?.();
    const after = process.memoryUsage();
    const result = {
      via: server ? `http (${CONNECTIONS} connections)` : 'library',
      executes: EXECUTES,
      maxQueued: MAX_QUEUED,
      accepted: out.accepted.length,
      refusedQueueFull: out.refused.length,
      otherOutcome: out.other.length,
      acceptedCompleted: completed,
      refusedWithRecord: leftover,
      queuedAfterBurst,
      burstMs: Math.round(burstMs),
      drainMs: Math.round(drainMs),
      rssBeforeMB: Math.round(before.rss / MB),
      rssPeakMB: Math.round(peak / MB),
      rssGrowthMB: Math.round((peak - before.rss) / MB),
      rssAfterMB: Math.round(after.rss / MB),
      heapBeforeMB: Math.round(before.heapUsed / MB),
      heapPeakMB: Math.round(peakHeap / MB),
      heapAfterGcMB: Math.round(after.heapUsed / MB),
    };
    console.log(JSON.stringify(result, null, 2));
    if (completed !== out.accepted.length || leftover > 0 || out.other.length > 0) {
      process.exitCode = 1;
    }
  } finally {
    await server?.close();
    await bench.close();
  }
}

await main();

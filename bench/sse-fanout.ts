/**
 * SSE fan-out: 100 clients (all in one client process) read one event stream while a server
 * process publishes events at a fixed rate. Two servers in the same run:
 *
 * - `stator`: the service's `GET /api/events` (monitor hub, bounded per-subscriber buffers,
 *   paced writes); events enter through the event pipeline (`emit`), like any actor's, as
 *   `engine.status` events of an engine `bench` carrying a send time;
 * - `hono`: baseline, a bare Hono `streamSSE` broadcast to every open stream (no bounds, no
 *   monitor), as in BASELINES.md row 6.
 *
 * Per server: first 10,000 events at 1,000/s (the issue's target: no client may lose any),
 * then the same count at higher rates, stepping up until a client misses events (dropped, or
 * not all received within 5 s after the last publish). Latency is send → client parse
 * (sub-ms clocks of the same machine), p50/p99 over every delivery of a step.
 *
 * Run: `npx tsx bench/sse-fanout.ts [--clients 100] [--events 10000] [--rates 1000,2000,...]`
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const now = (): number => performance.timeOrigin + performance.now();
const FILE = fileURLToPath(import.meta.url);
const SETTLE_MS = 5000;

/** Messages between the processes. */
type Msg =
  | { kind: 'ready'; url: string }
  | { kind: 'publish'; step: number; rate: number; count: number }
  | { kind: 'published'; step: number; ms: number; dropped: number }
  | { kind: 'expect'; step: number; count: number }
  | { kind: 'report'; step: number }
  | {
      kind: 'stats';
      step: number;
      complete: boolean;
      min: number;
      total: number;
      notices: number;
      p50: number;
      p99: number;
      max: number;
    }
  | { kind: 'connected' }
  | { kind: 'stop' };

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  ]!;
}

// ---------------------------------------------------------------- servers

async function statorServer(): Promise<void> {
  const { createStator } = await import('../src/index.ts');
  const { createHttpApp, startHttpServer } = await import('../src/http/index.ts');
  const stator = await createStator({ store: 'memory', busApi: false, engines: 1 });
  const deps = (
    stator as unknown as {
      deps: {
        pipeline: { emit(k: string, id: string, e: unknown): void };
        monitor: { stats(): { dropped: number } };
      };
    }
  ).deps;
  const server = await startHttpServer({ app: createHttpApp({ stator }), port: 0 });
  serve(
    `${server.url}/api/events?kind=engine&id=bench`,
    (step, i) =>
      deps.pipeline.emit('engine', 'bench', {
        type: 'engine.status',
        engineId: 'bench',
        status: 'running',
        slots: 0,
        busy: 0,
        queued: 0,
        step,
        i,
        sentAt: now(),
      }),
    () => deps.monitor.stats().dropped,
    async () => {
      await server.close();
      await stator.close();
    },
  );
}

async function honoServer(): Promise<void> {
  const { Hono } = await import('hono');
  const { streamSSE } = await import('hono/streaming');
  const { startHttpServer } = await import('../src/http/index.ts');
  type Stream = {
    writeSSE(m: { id: string; event: string; data: string }): Promise<void>;
    write(s: string): Promise<unknown>;
  };
  const streams = new Set<Stream>();
  const app = new Hono();
  app.get('/events', (c) =>
    streamSSE(c, async (stream) => {
      streams.add(stream);
      await stream.write(': connected\n\n');
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      streams.delete(stream);
    }),
  );
  const server = await startHttpServer({ app, port: 0 });
  let seq = 0;
  serve(
    `${server.url}/events`,
    (step, i) => {
      const event = {
        type: 'engine.status',
        engineId: 'bench',
        seq: ++seq,
        step,
        i,
        sentAt: now(),
      };
      const msg = { id: String(event.seq), event: event.type, data: JSON.stringify(event) };
      for (const s of streams) void s.writeSSE(msg);
    },
    () => 0,
    () => server.close(),
  );
}

/** The server side of the IPC protocol: publish at a rate when told. */
function serve(
  url: string,
  publish: (step: number, i: number) => void,
  dropped: () => number,
  close: () => Promise<void>,
): void {
  process.on('message', (m: Msg) => {
    if (m.kind === 'stop') void close().then(() => process.exit(0));
    if (m.kind !== 'publish') return;
    const start = now();
    let sent = 0;
    const before = dropped();
    const tick = (): void => {
      const due = Math.min(m.count, Math.floor(((now() - start) * m.rate) / 1000) + 1);
      while (sent < due) publish(m.step, sent++);
      if (sent < m.count) setTimeout(tick, 1);
      else
        process.send!({
          kind: 'published',
          step: m.step,
          ms: now() - start,
          dropped: dropped() - before,
        } satisfies Msg);
    };
    tick();
  });
  process.send!({ kind: 'ready', url } satisfies Msg);
}

// ---------------------------------------------------------------- clients

function clients(url: string, n: number): void {
  let step = -1;
  let expected = 0;
  let counts = new Int32Array(n);
  let latencies = new Float64Array(0);
  let samples = 0;
  let notices = 0;
  let connected = 0;
  let completeAt = 0;
  const check = (): void => {
    if (completeAt === 0 && counts.every((c) => c >= expected)) completeAt = now();
  };
  for (let k = 0; k < n; k++) {
    const req = request(url, { headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
      res.setEncoding('utf8');
      let buf = '';
      let first = true;
      res.on('data', (chunk: string) => {
        if (first) {
          first = false;
          if (++connected === n) process.send!({ kind: 'connected' } satisfies Msg);
        }
        buf += chunk;
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          if (block.includes('event: monitor.dropped')) notices++;
          const d = block.indexOf('data: ');
          if (d < 0) continue;
          const e = JSON.parse(
            block.slice(d + 6, block.indexOf('\n', d) < 0 ? undefined : block.indexOf('\n', d)),
          ) as { step?: number; sentAt?: number };
          if (e.step !== step || e.sentAt === undefined) continue;
          counts[k]!++;
          if (samples < latencies.length) latencies[samples++] = now() - e.sentAt;
          if (counts[k] === expected) check();
        }
      });
    });
    req.end();
  }
  process.on('message', (m: Msg) => {
    if (m.kind === 'expect') {
      step = m.step;
      expected = m.count;
      counts = new Int32Array(n);
      latencies = new Float64Array(m.count * n);
      samples = 0;
      notices = 0;
      completeAt = 0;
    } else if (m.kind === 'report') {
      const sorted = latencies.subarray(0, samples).sort();
      let min = Infinity;
      let total = 0;
      for (const c of counts) {
        min = Math.min(min, c);
        total += c;
      }
      process.send!({
        kind: 'stats',
        step: m.step,
        complete: min >= expected,
        min,
        total,
        notices,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: samples ? sorted[samples - 1]! : NaN,
      } satisfies Msg);
    } else if (m.kind === 'stop') process.exit(0);
  });
}

// ---------------------------------------------------------------- orchestration

function spawn(args: string[]): ChildProcess {
  return fork(FILE, args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

function next<T extends Msg['kind']>(
  proc: ChildProcess,
  kind: T,
): Promise<Extract<Msg, { kind: T }>> {
  return new Promise((resolve) => {
    const on = (m: Msg): void => {
      if (m.kind !== kind) return;
      proc.off('message', on);
      resolve(m as Extract<Msg, { kind: T }>);
    };
    proc.on('message', on);
  });
}

interface StepResult {
  rate: number;
  ok: boolean;
  publishMs: number;
  serverDropped: number;
  stats: Extract<Msg, { kind: 'stats' }>;
}

async function runServer(
  impl: string,
  n: number,
  count: number,
  rates: number[],
): Promise<StepResult[]> {
  const server = spawn(['--role', impl]);
  const { url } = await next(server, 'ready');
  const client = spawn(['--role', 'clients', '--url', url, '--clients', String(n)]);
  await next(client, 'connected');
  const results: StepResult[] = [];
  for (const [step, rate] of rates.entries()) {
    client.send({ kind: 'expect', step, count } satisfies Msg);
    const published = next(server, 'published');
    server.send({ kind: 'publish', step, rate, count } satisfies Msg);
    const pub = await published;
    // Wait for the clients to have everything, at most SETTLE_MS after the last publish.
    const deadline = Date.now() + SETTLE_MS;
    let stats: Extract<Msg, { kind: 'stats' }>;
    for (;;) {
      const reply = next(client, 'stats');
      client.send({ kind: 'report', step } satisfies Msg);
      stats = await reply;
      if (stats.complete || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const ok = stats.complete && pub.dropped === 0 && stats.notices === 0;
    results.push({ rate, ok, publishMs: pub.ms, serverDropped: pub.dropped, stats });
    console.error(
      `${impl} ${rate}/s: ${ok ? 'ok' : 'LOSS'} min ${stats.min}/${count} per client, dropped ${pub.dropped}, p50 ${stats.p50.toFixed(2)} ms, p99 ${stats.p99.toFixed(2)} ms`,
    );
    if (!ok && step > 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  client.send({ kind: 'stop' } satisfies Msg);
  server.send({ kind: 'stop' } satisfies Msg);
  await Promise.all([
    new Promise((r) => client.once('exit', r)),
    new Promise((r) => server.once('exit', r)),
  ]);
  return results;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      url: { type: 'string' },
      clients: { type: 'string', default: '100' },
      events: { type: 'string', default: '10000' },
      rates: { type: 'string', default: '1000,2000,3000,4000,6000,8000,12000,16000,24000' },
      servers: { type: 'string', default: 'stator,hono' },
    },
  });
  if (values.role === 'stator') return statorServer();
  if (values.role === 'hono') return honoServer();
  if (values.role === 'clients') return clients(values.url!, Number(values.clients));

  const n = Number(values.clients);
  const count = Number(values.events);
  const rates = values.rates.split(',').map(Number);
  const rows: string[] = [];
  for (const impl of values.servers.split(',')) {
    const results = await runServer(impl, n, count, rates);
    const target = results[0]!;
    const best = results.filter((r) => r.ok).at(-1);
    for (const r of results) {
      rows.push(
        `| ${impl} | ${r.rate} | ${r.ok ? 'yes' : 'no'} | ${r.stats.min} / ${count} | ${r.serverDropped} | ${(r.stats.total / n).toFixed(0)} | ${r.stats.p50.toFixed(2)} | ${r.stats.p99.toFixed(2)} | ${r.stats.max.toFixed(1)} |`,
      );
    }
    rows.push(
      `| **${impl}** | target ${target.rate}/s: ${target.ok ? 'all received' : 'LOSS'}; highest rate without loss: ${best ? `${best.rate}/s` : 'none'} | | | | | | | |`,
    );
  }
  console.log(
    [
      `${n} SSE clients (one client process), ${count} events per step`,
      '',
      '| server | rate /s | no loss | min received per client | server drops | mean received | p50 ms | p99 ms | max ms |',
      '|---|---:|---|---:|---:|---:|---:|---:|---:|',
      ...rows,
    ].join('\n'),
  );
}

await main();

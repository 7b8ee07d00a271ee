/**
 * Sessions: memory per idle session (its actor in the server, and its process), and the
 * round-trip latency of the `input` command.
 *
 * Each repetition forks a fresh server process (SQLite store in a temp dir, the HTTP app on a
 * random port, and beside it a bare Hono app on another port) and then:
 *
 * 1. memory: RSS of the server after two GCs (baseline), then 200 sessions of `cat` created
 *    through the command layer and waited for until running, then RSS after two GCs again.
 *    Per session = (RSS after - baseline) / sessions; heap likewise. The `cat` processes are
 *    measured apart: their PSS (proportional set size, shared pages split) from
 *    /proc/<pid>/smaps_rollup, summed and divided by sessions.
 * 2. latency, with the 200 sessions still up: sequential HTTP requests over one keep-alive
 *    connection from this (parent) process, in alternating blocks: `POST /json` of the bare
 *    Hono app (baseline, the same JSON body) and `POST /api/sessions/:id/input` (rate limiter
 *    on, with a rate high enough never to refuse; the text goes to a `cat`'s stdin). Also the
 *    command alone in the server: `dispatch('session.input')` without HTTP.
 *
 * Run: `node --expose-gc --max-semi-space-size=64 --import tsx bench/sessions.ts [--reps 3] [--sessions 200] [--requests 2000]`
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summarize, machineFacts, type Summary } from './lib/stats.ts';

const FILE = fileURLToPath(import.meta.url);
const MiB = 2 ** 20;

/** Messages between the processes. */
type Msg =
  | { kind: 'ready'; url: string; bareUrl: string }
  | { kind: 'memory'; sessions: number }
  | {
      kind: 'memory.result';
      rssBefore: number;
      rssAfter: number;
      heapBefore: number;
      heapAfter: number;
      pss: number;
      ids: string[];
      createMs: number;
    }
  | { kind: 'dispatch'; id: string; count: number }
  | { kind: 'dispatch.result'; samples: number[] }
  | { kind: 'stop' };

function percentile(sorted: readonly number[], p: number): number {
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  ]!;
}

// ---------------------------------------------------------------- server process

async function gc(): Promise<void> {
  const collect = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 2; i++) {
    collect?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** PSS of a process in bytes (0 when it is gone or /proc is not there). */
function pssOf(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = /^Pss:\s+(\d+) kB/m.exec(text)?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

async function server(): Promise<void> {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { Hono } = await import('hono');
  const { createStator } = await import('../src/index.ts');
  const { createHttpApp, startHttpServer } = await import('../src/http/index.ts');
  const { dispatch, sessionsOf } = await import('../src/commands/index.ts');

  const dataDir = await mkdtemp(join(tmpdir(), 'stator-bench-sessions-'));
  const stator = await createStator({
    dataDir,
    rehydrate: false,
    shutdownGraceMs: 0,
    // On, but never refusing: its cost is part of the command path.
    rateLimit: { ratePerSecond: 1e9, burst: 1e9 },
    maxSessions: 1000,
  });
  const http = await startHttpServer({ app: createHttpApp({ stator }) });
  const bare = new Hono();
  bare.post('/json', async (c) => c.json({ ok: true, body: await c.req.json() }));
  const bareHttp = await startHttpServer({ app: bare });
  const send = (m: Msg) => process.send!(m);
  const manager = sessionsOf(stator);

  process.on('message', async (m: Msg) => {
    if (m.kind === 'memory') {
      // Warm-up: one session through its whole life, so the baseline has every module loaded.
      const warm = await dispatch(stator, 'session.create', {
        name: 'warm-up',
        command: ['cat'],
        autostart: true,
      });
      await dispatch(stator, 'session.input', { id: warm.id, text: 'warm' });
      await dispatch(stator, 'session.delete', { id: warm.id });
      await gc();
      const before = process.memoryUsage();
      const t0 = performance.now();
      const ids: string[] = [];
      for (let i = 0; i < m.sessions; i++) {
        const view = await dispatch(stator, 'session.create', {
          name: `cat-${i}`,
          command: ['cat'],
          autostart: true,
        });
        ids.push(view.id);
      }
      // Every session running with its process.
      const deadline = Date.now() + 120_000;
      for (;;) {
        const views = await Promise.all(ids.map((id) => manager.get(id)));
        if (views.every((v) => v.status === 'running' && v.pid !== null)) break;
        if (Date.now() > deadline) throw new Error('sessions did not all reach running');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const createMs = performance.now() - t0;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await gc();
      const after = process.memoryUsage();
      const views = await Promise.all(ids.map((id) => manager.get(id)));
      const pss = views.reduce((sum, v) => sum + (v.pid === null ? 0 : pssOf(v.pid)), 0);
      send({
        kind: 'memory.result',
        rssBefore: before.rss,
        rssAfter: after.rss,
        heapBefore: before.heapUsed,
        heapAfter: after.heapUsed,
        pss,
        ids,
        createMs,
      });
    } else if (m.kind === 'dispatch') {
      const samples: number[] = [];
      for (let i = 0; i < m.count; i++) {
        const t0 = performance.now();
        await dispatch(stator, 'session.input', { id: m.id, text: 'hello' }, { client: 'bench' });
        samples.push(performance.now() - t0);
      }
      send({ kind: 'dispatch.result', samples });
    } else if (m.kind === 'stop') {
      await http.close();
      await bareHttp.close();
      await stator.close();
      await rm(dataDir, { recursive: true, force: true });
      process.exit(0);
    }
  });
  send({ kind: 'ready', url: http.url, bareUrl: bareHttp.url });
}

// ---------------------------------------------------------------- parent process

/** One POST over the keep-alive agent; resolves with the elapsed ms. */
function post(agent: Agent, url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`${url}: HTTP ${res.statusCode}`));
          else resolve(performance.now() - t0);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function next<K extends Msg['kind']>(
  child: ChildProcess,
  kind: K,
): Promise<Extract<Msg, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Msg) => {
      if (m.kind !== kind) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as Extract<Msg, { kind: K }>);
    };
    const onExit = (code: number | null) =>
      reject(new Error(`server exited (${code}) before ${kind}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

interface RepResult {
  rssPerSession: number;
  heapPerSession: number;
  pssPerSession: number;
  rssBefore: number;
  rssAfter: number;
  createMs: number;
  bare: number[];
  input: number[];
  dispatch: number[];
}

async function repetition(sessions: number, requests: number): Promise<RepResult> {
  const child = fork(FILE, ['--server'], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const ready = await next(child, 'ready');
    child.send({ kind: 'memory', sessions } satisfies Msg);
    const mem = await next(child, 'memory.result');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const body = JSON.stringify({ text: 'hello' });
    const target = mem.ids[0]!;
    const bare: number[] = [];
    const input: number[] = [];
    const block = 100;
    // Warm-up of both paths, then alternating blocks so drift hits both alike.
    for (let i = 0; i < 200; i++) {
      await post(agent, `${ready.bareUrl}/json`, body);
      await post(agent, `${ready.url}/api/sessions/${target}/input`, body);
    }
    for (let done = 0; done < requests; done += block) {
      for (let i = 0; i < block; i++) bare.push(await post(agent, `${ready.bareUrl}/json`, body));
      for (let i = 0; i < block; i++) {
        input.push(await post(agent, `${ready.url}/api/sessions/${target}/input`, body));
      }
    }
    agent.destroy();
    child.send({ kind: 'dispatch', id: target, count: requests } satisfies Msg);
    const dispatched = await next(child, 'dispatch.result');
    child.send({ kind: 'stop' } satisfies Msg);
    await new Promise((resolve) => child.once('exit', resolve));
    return {
      rssPerSession: (mem.rssAfter - mem.rssBefore) / sessions,
      heapPerSession: (mem.heapAfter - mem.heapBefore) / sessions,
      pssPerSession: mem.pss / sessions,
      rssBefore: mem.rssBefore,
      rssAfter: mem.rssAfter,
      createMs: mem.createMs,
      bare,
      input,
      dispatch: dispatched.samples,
    };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

const fmt = (s: Summary, digits = 0, scale = 1) =>
  `${(s.median / scale).toFixed(digits)} (${(s.min / scale).toFixed(digits)}–${(s.max / scale).toFixed(digits)})`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '3' },
      sessions: { type: 'string', default: '200' },
      requests: { type: 'string', default: '2000' },
    },
  });
  const reps = Number(values.reps);
  const sessions = Number(values.sessions);
  const requests = Number(values.requests);
  const results: RepResult[] = [];
  for (let r = 0; r < reps; r++) {
    results.push(await repetition(sessions, requests));
    process.stderr.write(`repetition ${r + 1}/${reps} done\n`);
  }
  const pct = (key: 'bare' | 'input' | 'dispatch', p: number) =>
    summarize(
      results.map((r) =>
        percentile(
          [...r[key]].sort((a, b) => a - b),
          p,
        ),
      ),
    );
  const ratio = (p: number) =>
    summarize(
      results.map(
        (r) =>
          percentile(
            [...r.input].sort((a, b) => a - b),
            p,
          ) /
          percentile(
            [...r.bare].sort((a, b) => a - b),
            p,
          ),
      ),
    );
  const m = machineFacts();
  const lines = [
    `machine: ${m.cpus} cores (${m.cpuModel}), node ${m.node}; load ${(await import('node:os')).loadavg()[0]!.toFixed(2)}`,
    `${reps} repetitions, ${sessions} sessions of \`cat\`, ${requests} requests per path; medians (min–max) over repetitions`,
    '',
    '| memory | per session |',
    '|---|---:|',
    `| server RSS Δ / sessions | ${fmt(summarize(results.map((r) => r.rssPerSession)), 0, 1024)} KiB |`,
    `| server heapUsed Δ / sessions | ${fmt(summarize(results.map((r) => r.heapPerSession)), 0, 1024)} KiB |`,
    `| \`cat\` process PSS / sessions | ${fmt(summarize(results.map((r) => r.pssPerSession)), 0, 1024)} KiB |`,
    `| server RSS before → after | ${fmt(summarize(results.map((r) => r.rssBefore)), 0, MiB)} → ${fmt(summarize(results.map((r) => r.rssAfter)), 0, MiB)} MiB |`,
    `| time to create ${sessions} and see them running | ${fmt(summarize(results.map((r) => r.createMs)))} ms |`,
    '',
    '| request (sequential, one keep-alive connection) | p50 ms | p99 ms |',
    '|---|---:|---:|',
    `| bare Hono \`POST /json\` (baseline) | ${fmt(pct('bare', 50), 3)} | ${fmt(pct('bare', 99), 3)} |`,
    `| \`POST /api/sessions/:id/input\` | ${fmt(pct('input', 50), 3)} | ${fmt(pct('input', 99), 3)} |`,
    `| ratio input / bare (per repetition) | ${fmt(ratio(50), 2)} | ${fmt(ratio(99), 2)} |`,
    `| \`dispatch('session.input')\` in the server (no HTTP) | ${fmt(pct('dispatch', 50), 3)} | ${fmt(pct('dispatch', 99), 3)} |`,
  ];
  console.log(lines.join('\n'));
}

if (process.argv.includes('--server')) await server();
else await main();

/**
 * NATS outages, as a user meets them: a `stator serve --nats` node with a burst of runs in
 * flight loses its nats-server to a kill -9, and the server comes back on the same port and
 * store a few seconds later. Every run accepted before the outage completes; each step ran
 * exactly once (the steps append a marker line per run); `/health` answered 503 `degraded`
 * with the reason while the store was unreachable and `ok` again after; executes refused during
 * the outage were refused (503), not half-accepted.
 */
import { readFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startStatorNode, tail, type StatorNode } from '../../fixtures/cluster/stator-node.ts';
import { WORKFLOWS_DIR } from '../../fixtures/cluster/workflows.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const BURST = 60;

let server: NatsServer | undefined;
let node: StatorNode | undefined;
let dir: string | undefined;

afterEach(async () => {
  await node?.kill();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  node = server = dir = undefined;
}, 30_000);

/** Rethrows a failed wait with the node's last output lines (what it logged, how it died). */
function withTail(err: Error): never {
  throw new Error(`${err.message}\n${node ? tail(node.output, 40) : ''}`);
}

interface Health {
  status: string;
  problems?: Array<{ check: string; reason: string }>;
}

async function health(url: string): Promise<{ code: number; body: Health }> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
  return { code: res.status, body: (await res.json()) as Health };
}

async function post(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
}

describe('cluster: the nats-server is killed and restarted mid-burst', () => {
  it('completes every accepted run, each step once; /health says degraded meanwhile', async () => {
    server = await startNatsServer({ private: true });
    dir = await mkdtemp(join(tmpdir(), 'stator-outage-'));
    const markers = join(dir, 'markers');
    node = await startStatorNode({
      natsUrl: server.url,
      prefix: uniquePrefix('o'),
      name: 'n1',
      workflowsDir: WORKFLOWS_DIR,
      slots: 6,
    });
    const url = node.httpUrl;
    const register = await post(url, '/api/workflows', {
      id: 'outage',
      inputs: { marker: { type: 'string' } },
      steps: [
        { id: 'one', exec: ['sh', '-c', `echo "$INPUT_MARKER one" >> '${markers}'; sleep 0.6`] },
        {
          id: 'two',
          needs: ['one'],
          exec: ['sh', '-c', `echo "$INPUT_MARKER two" >> '${markers}'`],
        },
      ],
    });
    expect(register.status, await register.text()).toBe(201);

    const accepted: string[] = [];
    for (let i = 0; i < BURST; i++) {
      const res = await post(url, '/api/workflows/outage/execute', {
        input: { marker: `m${i}` },
      });
      expect(res.status).toBe(202);
      accepted.push(((await res.json()) as { executionId: string }).executionId);
    }
    // Mid-burst: some runs finished, most still running or queued.
    await waitFor(async () => (await readFile(markers, 'utf8').catch(() => '')).includes(' two'), {
      timeoutMs: 30_000,
      message: 'a first run completed',
    });
    await server.kill();

    const degraded = await waitFor(
      async () => {
        const h = await health(url);
        return h.code === 503 && h.body.status === 'degraded' ? h.body : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, message: '/health degraded during the outage' },
    ).catch(withTail);
    expect(degraded.problems?.map((p) => p.check)).toContain('nats');
    // Steps go on finishing while NATS is away: their records wait in the outbox.
    await waitFor(
      async () => {
        const h = await health(url);
        return h.body.problems?.some((p) => p.check === 'store') ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, message: 'store writes waiting in the outbox' },
    ).catch(withTail);
    // Nothing new is accepted while the store is unreachable.
    const refused = await post(url, '/api/workflows/outage/execute', { input: { marker: 'x' } });
    expect(refused.status).toBe(503);

    await server.restart();
    await waitFor(async () => ((await health(url)).code === 200 ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 250,
      message: '/health ok after the outage',
    }).catch(withTail);

    const statuses = await waitFor(
      async () => {
        const res = await fetch(`${url}/api/executions?workflowId=outage&limit=500`);
        if (res.status !== 200) return undefined;
        const page = (await res.json()) as { items: Array<{ id: string; status: string }> };
        const done = page.items.filter((e) => e.status === 'completed');
        return done.length >= BURST ? page.items : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, message: 'every accepted run completed' },
    ).catch(async (err: Error) => {
      const res = await fetch(`${url}/api/executions?workflowId=outage&limit=500`);
      const page = (await res.json()) as { items: Array<{ id: string; status: string }> };
      const open = page.items.filter((e) => e.status !== 'completed');
      const details = await Promise.all(
        open.slice(0, 3).map(async (e) => (await fetch(`${url}/api/executions/${e.id}`)).text()),
      );
      const h = await health(url);
      return withTail(
        new Error(
          `${err.message}: ${JSON.stringify(open)}\n${details.join('\n')}\nhealth ${JSON.stringify(h)}`,
        ),
      );
    });
    expect(statuses.map((e) => e.id).sort()).toEqual([...accepted].sort());
    expect(statuses.every((e) => e.status === 'completed')).toBe(true);

    const lines = (await readFile(markers, 'utf8')).trim().split('\n');
    const seen = new Map<string, number>();
    for (const line of lines) seen.set(line, (seen.get(line) ?? 0) + 1);
    const twice = [...seen].filter(([, n]) => n > 1);
    expect(twice, 'steps that ran more than once').toEqual([]);
    expect(seen.size).toBe(BURST * 2);
  }, 180_000);
});

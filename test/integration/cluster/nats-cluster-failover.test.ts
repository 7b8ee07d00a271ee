/**
 * A three-node NATS cluster on loopback with every Stator stream and bucket at three replicas
 * (`--nats-replicas 3`): killing the NATS node that leads the work queue's stream in the middle
 * of a burst costs nothing. Every run completes within its timeouts (40 s per run, 20 s per
 * step: a run that waits for the failover longer than that fails; a step's timeout also counts
 * the wait for its start to be stored, which a leader election stalls for some seconds when
 * the machine is busy), each step ran once,
 * and the node's `/health` is `ok` again once the client has moved to a live server.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterEach, describe, expect, it } from 'vitest';
import { startStatorNode, tail, type StatorNode } from '../../fixtures/cluster/stator-node.ts';
import { WORKFLOWS_DIR } from '../../fixtures/cluster/workflows.ts';
import { startNatsCluster, type NatsCluster } from '../../helpers/nats-cluster.ts';
import { uniquePrefix } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const BURST = 60;

let cluster: NatsCluster | undefined;
let node: StatorNode | undefined;
let dir: string | undefined;

afterEach(async () => {
  await node?.kill();
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  node = cluster = dir = undefined;
}, 30_000);

async function post(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
}

/** The server name (`n1`..`n3`) leading `stream`. */
async function leaderOf(url: string, stream: string): Promise<string> {
  const nc = await connect({ servers: url.split(',') });
  try {
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    const leader = info.cluster?.leader;
    if (!leader) throw new Error(`${stream} has no leader`);
    return leader;
  } finally {
    await nc.close();
  }
}

/** Replicas of every stream whose name contains `prefix` (KV buckets included). */
async function replicasOf(url: string, prefix: string): Promise<Record<string, number>> {
  const nc = await connect({ servers: url.split(',') });
  try {
    const out: Record<string, number> = {};
    for await (const info of (await jetstreamManager(nc)).streams.list()) {
      if (info.config.name.includes(prefix)) out[info.config.name] = info.config.num_replicas;
    }
    return out;
  } finally {
    await nc.close();
  }
}

describe('cluster: one node of a three-node NATS cluster dies mid-burst', () => {
  it('slows no run past its timeouts and runs no step twice', async () => {
    cluster = await startNatsCluster();
    dir = await mkdtemp(join(tmpdir(), 'stator-r3-'));
    const markers = join(dir, 'markers');
    const prefix = uniquePrefix('r');
    node = await startStatorNode({
      natsUrl: cluster.url,
      prefix,
      name: 'n1',
      workflowsDir: WORKFLOWS_DIR,
      slots: 6,
      extraArgs: ['--nats-replicas', '3'],
    });
    const url = node.httpUrl;
    const register = await post(url, '/api/workflows', {
      id: 'replicated',
      timeout: '40s',
      defaults: { timeout: '20s' },
      inputs: { marker: { type: 'string' } },
      steps: [
        { id: 'one', exec: ['sh', '-c', `echo "$INPUT_MARKER one" >> '${markers}'; sleep 0.4`] },
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
      const res = await post(url, '/api/workflows/replicated/execute', {
        input: { marker: `m${i}` },
      });
      expect(res.status).toBe(202);
      accepted.push(((await res.json()) as { executionId: string }).executionId);
    }
    await waitFor(async () => (await readFile(markers, 'utf8').catch(() => '')).includes(' two'), {
      timeoutMs: 30_000,
      message: 'a first run completed',
    });
    const replicas = await replicasOf(cluster.url, prefix);
    expect(Object.keys(replicas).length).toBeGreaterThanOrEqual(5);
    expect(
      Object.values(replicas).every((n) => n === 3),
      JSON.stringify(replicas),
    ).toBe(true);
    const leader = await leaderOf(cluster.url, `${prefix}_work`);
    const victim = cluster.nodes[Number(leader.slice(1)) - 1]!;
    await victim.kill();

    const items = await waitFor(
      async () => {
        const res = await fetch(`${url}/api/executions?workflowId=replicated&limit=500`, {
          signal: AbortSignal.timeout(5000),
        });
        if (res.status !== 200) return undefined;
        const page = (await res.json()) as { items: Array<{ id: string; status: string }> };
        const final = page.items.filter((e) => e.status !== 'running' && e.status !== 'pending');
        return final.length >= BURST ? page.items : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, message: 'every run ended' },
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${tail(node!.output, 30)}`);
    });
    expect(items.map((e) => e.id).sort()).toEqual([...accepted].sort());
    const statuses = new Map<string, number>();
    for (const e of items) statuses.set(e.status, (statuses.get(e.status) ?? 0) + 1);
    const notCompleted = items.filter((e) => e.status !== 'completed');
    const why = await Promise.all(
      notCompleted
        .slice(0, 3)
        .map(async (e) => (await fetch(`${url}/api/executions/${e.id}`)).text()),
    );
    expect(Object.fromEntries(statuses), why.join('\n')).toEqual({ completed: BURST });

    const lines = (await readFile(markers, 'utf8')).trim().split('\n');
    const seen = new Map<string, number>();
    for (const line of lines) seen.set(line, (seen.get(line) ?? 0) + 1);
    expect(
      [...seen].filter(([, n]) => n > 1),
      'steps that ran twice',
    ).toEqual([]);
    expect(seen.size).toBe(BURST * 2);

    await waitFor(
      async () => {
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
        return res.status === 200 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, message: '/health ok on the surviving servers' },
    );
  }, 180_000);
});

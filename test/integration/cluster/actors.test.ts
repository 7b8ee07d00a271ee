/**
 * The live actor API in cluster mode: two `stator serve --nats` processes on one private NATS
 * server. A session created through n2 lives on n2; n1 lists it (and n2's engines) and answers
 * for it in full, with n2 named as its node. When n2 is killed with SIGKILL its actors leave
 * n1's listing at once, and n1 still answers (a dead node costs a listing nothing but its part).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { RawClient } from '../../fixtures/cluster/raw-client.ts';
import { startStatorNode, type StatorNode } from '../../fixtures/cluster/stator-node.ts';
import { WORKFLOWS_DIR } from '../../fixtures/cluster/workflows.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

interface Brief {
  kind: string;
  id: string;
  node: string;
  machine: string;
  value: unknown;
}

let server: NatsServer;
let client: RawClient;
let n1: StatorNode;
let n2: StatorNode;
const prefix = uniquePrefix('act');

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  client = await RawClient.connect(server.url, 'actors-test-client', prefix);
  [n1, n2] = (await Promise.all(
    ['a1', 'a2'].map((name) =>
      startStatorNode({ natsUrl: server.url, prefix, name, workflowsDir: WORKFLOWS_DIR }),
    ),
  )) as [StatorNode, StatorNode];
}, 120_000);

afterAll(async () => {
  await Promise.all([n1?.kill(), n2?.kill()]);
  await client?.close();
  if (server) await deleteClusterStreams(server.url, [prefix]).catch(() => undefined);
  await server?.stop();
}, 30_000);

async function getJson<T>(node: StatorNode, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${node.httpUrl}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

describe('live actors across nodes', () => {
  it('any node lists and answers for the other node’s actors', { timeout: 60_000 }, async () => {
    const created = await fetch(`${n2.httpUrl}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'remote-sleeper', run: 'sleep 60', autostart: true }),
    });
    expect(created.status).toBe(201);
    const session = (await created.json()) as { id: string; node: string };

    const listed = await waitFor(
      async () => {
        const { body } = await getJson<{ items: Brief[] }>(n1, '/api/actors');
        const mine = body.items.find((a) => a.kind === 'session' && a.id === session.id);
        return mine && JSON.stringify(mine.value).includes('running') ? body.items : undefined;
      },
      { timeoutMs: 20_000 },
    );
    const nodes = new Set(listed.filter((a) => a.kind === 'engine').map((a) => a.node));
    expect(nodes.size).toBe(2);
    expect(listed.find((a) => a.id === session.id)?.node).toBe(session.node);

    const detail = await getJson<Brief & { transitions: unknown[] }>(
      n1,
      `/api/actors/session/${session.id}`,
    );
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ kind: 'session', machine: 'session', node: session.node });
    expect(detail.body.transitions.length).toBeGreaterThan(0);

    // Over NATS too: stator.api.actor.list answers with every node's actors.
    const reply = await client.api<{ items: Brief[] }>('actor.list', { kind: 'session' });
    expect(reply.ok && reply.data.items.map((a) => a.id)).toContain(session.id);

    await n2.kill();
    const started = Date.now();
    const after = await getJson<{ items: Brief[] }>(n1, '/api/actors');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(after.body.items.every((a) => a.node !== session.node)).toBe(true);
    expect(after.body.items.some((a) => a.kind === 'engine')).toBe(true);
  });
});

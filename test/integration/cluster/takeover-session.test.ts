/**
 * Sessions are leased too: a session with a `restart: always` policy runs on the node that
 * created it; when that node dies (kill -9 of the node and its processes) the other node claims
 * the session's lease within TTL + 5 s and starts it again there (its process died with its
 * owner: `crashed`, and the policy restarts it). The session then answers from the new owner.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { RawClient } from '../../fixtures/cluster/raw-client.ts';
import { startStatorNode, tail, type StatorNode } from '../../fixtures/cluster/stator-node.ts';
import { takeoverNode } from '../../fixtures/cluster/takeover.ts';
import { WORKFLOWS_DIR } from '../../fixtures/cluster/workflows.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const TTL_MS = 3000;

let server: NatsServer;
let client: RawClient;
let nodes: StatorNode[] = [];
let dir: string;
const prefixes: string[] = [];

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  client = await RawClient.connect(server.url);
}, 30_000);

afterEach(async () => {
  await Promise.all(nodes.map((n) => n.kill()));
  nodes = [];
  await deleteClusterStreams(server.url, prefixes.splice(0));
  await rm(dir, { recursive: true, force: true });
}, 30_000);

afterAll(async () => {
  await client?.close();
  await server?.stop();
});

describe('cluster takeover: sessions', () => {
  it(
    'a session of a dead node is started again on the other one',
    { timeout: 90_000 },
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'stator-takeover-'));
      const marks = join(dir, 'marks');
      const prefix = uniquePrefix('s');
      prefixes.push(prefix);
      const started = await Promise.allSettled(
        ['n1', 'n2'].map((name) =>
          startStatorNode({
            natsUrl: server.url,
            prefix,
            name,
            workflowsDir: WORKFLOWS_DIR,
            ...takeoverNode(name, marks, ['--lease-ttl', `${TTL_MS}ms`]),
          }),
        ),
      );
      for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
      for (const s of started) if (s.status === 'rejected') throw s.reason;

      const session = await client.call<{ id: string }>('session.create', {
        name: 'agent',
        // Marks each launch with its node, then lives until stopped.
        run: 'echo "$NODE_TAG $(date +%s%3N)" >> "$MARKS"; exec sleep 300',
        restart: 'always',
        autostart: true,
      });
      // One line per launch: `<node> <epoch ms>`.
      const launches = async () =>
        (await readFile(marks, 'utf8').catch(() => ''))
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => {
            const [node, at] = l.trim().split(' ');
            return { node: node!, at: Number(at) };
          });
      const [first] = await waitFor(async () => {
        const l = await launches();
        return l.length === 1 ? l : undefined;
      });
      const owner = nodes.find((n) => n.name === first!.node)!;
      const other = nodes.find((n) => n !== owner)!;

      await owner.kill();
      const killedAt = Date.now();
      const again = await waitFor(
        async () => (await launches()).find((l) => l.node === other.name),
        {
          timeoutMs: TTL_MS + 5000 + 5000,
          intervalMs: 100,
          message: 'started again on the other node',
        },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${tail(other.output, 30)}`);
      });
      expect(again.at - killedAt).toBeLessThanOrEqual(TTL_MS + 5000);
      const view = await waitFor(async () => {
        const v = await client.call<{ status: string; node: string | null }>('session.get', {
          id: session.id,
        });
        return v.status === 'running' ? v : undefined;
      });
      expect(view).toMatchObject({ status: 'running', node: other.name });
      // Launched once per owner: never twice at once.
      expect((await launches()).map((l) => l.node)).toEqual([owner.name, other.name]);
    },
  );
});

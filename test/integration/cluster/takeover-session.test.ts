/**
 * Sessions are leased too: a session with a `restart: always` policy runs on the node that
 * created it; when that node dies (kill -9 of the node and its processes) the other node claims
 * the session's lease within TTL + 5 s and starts it again there (its process died with its
 * owner: `crashed`, and the policy restarts it). The session then answers from the new owner.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { tail } from '../../fixtures/cluster/stator-node.ts';
import { useTakeoverCluster } from '../../fixtures/cluster/takeover.ts';
import { waitFor } from '../../helpers/poll.ts';

const TTL_MS = 3000;

const cluster = useTakeoverCluster();

describe('cluster takeover: sessions', () => {
  it(
    'a session of a dead node is started again on the other one',
    { timeout: 90_000 },
    async () => {
      const { client } = cluster;
      const { marks, nodes } = await cluster.startPair('s', ['--lease-ttl', `${TTL_MS}ms`]);

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

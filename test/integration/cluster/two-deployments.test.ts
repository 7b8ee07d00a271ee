/**
 * Two Stator deployments on ONE nats-server, told apart only by their prefix, as users start
 * them: `stator serve --nats-prefix <a>` and `STATOR_PREFIX=<b> stator serve`. A run requested on
 * a deployment's API subject runs on that deployment's node only; each deployment's SSE, NATS
 * events and listings show its own runs only; a request on one prefix's subjects is answered
 * once, by that deployment (a prefix nobody serves has no responders); discovery tells them
 * apart; every stream, bucket and consumer on the server carries one prefix. Before the prefix
 * named subjects, both shared `stator.api.*` and its queue group, and the second deployment's
 * event stream could not even be created (its subjects overlapped the first one's).
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { createInbox } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StampedEvent } from '../../../src/events.ts';
import { belongsTo, deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { RawClient, type EventWatch } from '../../fixtures/cluster/raw-client.ts';
import { startStatorNode, type StatorNode } from '../../fixtures/cluster/stator-node.ts';
import { SLEEPER_ID, WORKFLOWS_DIR } from '../../fixtures/cluster/workflows.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';
import { executionOf, readEvents } from '../monitor/cluster-nodes.ts';

const SLOW = { timeout: 90_000 };

/** One deployment: its prefix, its node and a plain client talking to it. */
interface Deployment {
  prefix: string;
  node: StatorNode;
  client: RawClient;
  watch: EventWatch;
}

let server: NatsServer;
let base: RawClient;
let a: Deployment;
let b: Deployment;
const nodes: StatorNode[] = [];

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  base = await RawClient.connect(server.url, 'two-deployments');
  const pa = uniquePrefix('da');
  const pb = uniquePrefix('db');
  const started = await Promise.allSettled([
    startStatorNode({ natsUrl: server.url, prefix: pa, name: 'a1', workflowsDir: WORKFLOWS_DIR }),
    // The other one names its deployment through the environment.
    startStatorNode({
      natsUrl: server.url,
      name: 'b1',
      workflowsDir: WORKFLOWS_DIR,
      env: { STATOR_PREFIX: pb },
    }),
  ]);
  for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
  for (const s of started) if (s.status === 'rejected') throw s.reason;
  const deployment = (prefix: string, node: StatorNode): Deployment => {
    const client = base.withPrefix(prefix);
    return { prefix, node, client, watch: client.watch(client.subject('*', '*', 'out')) };
  };
  a = deployment(pa, nodes[0]!);
  b = deployment(pb, nodes[1]!);
  await base.flush();
}, 120_000);

afterAll(async () => {
  a?.watch.stop();
  b?.watch.stop();
  await Promise.all(nodes.map((n) => n.kill()));
  await base?.close();
  if (server && a && b) await deleteClusterStreams(server.url, [a.prefix, b.prefix]);
  await server?.stop();
}, 60_000);

/** Requests a run of the sleeper on `d`'s API subject and waits until it completed there. */
async function runOn(d: Deployment, executionId: string): Promise<{ node: string }> {
  const started = await d.client.call<{ executionId: string }>('workflow.execute', {
    workflowId: SLEEPER_ID,
    executionId,
  });
  expect(started).toEqual({ executionId });
  let record: { status: string; node: string } | undefined;
  await waitFor(
    async () => {
      record = await d.client.call<{ status: string; node: string }>('execution.get', {
        id: executionId,
      });
      return record.status === 'completed';
    },
    { timeoutMs: 30_000, message: `${executionId} completed on ${d.prefix}` },
  );
  return record!;
}

/** Every reply to one request within `windowMs` (a request answered twice shows twice). */
async function allReplies(subject: string, payload = '', windowMs = 750): Promise<unknown[]> {
  const inbox = createInbox();
  const replies: unknown[] = [];
  const sub = base.nc.subscribe(inbox, {
    callback: (err, msg) => {
      if (!err) replies.push(msg.json());
    },
  });
  try {
    await base.nc.flush();
    base.nc.publish(subject, payload, { reply: inbox });
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    return replies;
  } finally {
    sub.unsubscribe();
  }
}

const executionsOf = (events: StampedEvent[]) =>
  new Set(events.map(executionOf).filter((id): id is string => id !== undefined));

describe('two deployments on one nats-server', () => {
  it(
    'run what their own API subject asks, on their own node, and show only their own runs',
    SLOW,
    async () => {
      const ids = {
        a: [`${a.prefix}-run`, `${a.prefix}-last`],
        b: [`${b.prefix}-run`, `${b.prefix}-last`],
      };
      // Each SSE reader ends with its deployment's last run, started after both first runs ended.
      const connected: Promise<void>[] = [];
      const sse = [a, b].map((d, i) => {
        let ready!: () => void;
        connected.push(new Promise<void>((resolve) => (ready = resolve)));
        const last = i === 0 ? ids.a[1]! : ids.b[1]!;
        return readEvents(d.node.httpUrl, {
          signal: AbortSignal.timeout(60_000),
          onConnected: () => ready(),
          done: (r) => {
            const e = r.events.at(-1)!;
            return e.type === 'execution.completed' && executionOf(e) === last;
          },
        });
      });
      await Promise.all(connected);

      const [ranA, ranB] = await Promise.all([runOn(a, ids.a[0]!), runOn(b, ids.b[0]!)]);
      expect(ranA.node).toBe('a1');
      expect(ranB.node).toBe('b1');
      await Promise.all([runOn(a, ids.a[1]!), runOn(b, ids.b[1]!)]);
      const [seenA, seenB] = await Promise.all(sse);

      // SSE of each deployment: its runs, whole, and nothing of the other's.
      expect(executionsOf(seenA!.events)).toEqual(new Set(ids.a));
      expect(executionsOf(seenB!.events)).toEqual(new Set(ids.b));
      // A plain NATS client on `<prefix>.*.*.out` sees the same split.
      for (const [d, own] of [
        [a, ids.a],
        [b, ids.b],
      ] as const) {
        await waitFor(() => own.every((id) => d.watch.typesOf(id).includes('execution.completed')));
        expect(executionsOf(d.watch.events as StampedEvent[])).toEqual(new Set(own));
      }
      // Records and listings: each deployment knows only its own runs.
      const listed = async (d: Deployment) =>
        (
          await d.client.call<{ items: { id: string }[] }>('execution.list', {
            workflowId: SLEEPER_ID,
          })
        ).items
          .map((r) => r.id)
          .sort();
      expect(await listed(a)).toEqual([...ids.a].sort());
      expect(await listed(b)).toEqual([...ids.b].sort());
      const wrong = await a.client.api('execution.get', { id: ids.b[0] });
      expect(wrong).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect(await b.client.api('execution.get', { id: ids.a[0] })).toMatchObject({
        ok: false,
        error: { code: 'not_found' },
      });
    },
  );

  it('answer a request on their own subjects only, once; discovery tells them apart', async () => {
    for (const d of [a, b]) {
      const replies = await allReplies(d.client.subject('api', 'health'));
      expect(replies).toHaveLength(1);
      expect(replies[0]).toMatchObject({ ok: true, data: { node: d.node.name, mode: 'cluster' } });
      // Unknown commands: one structured answer, from the right deployment's queue group.
      const unknown = await allReplies(d.client.subject('api', 'nope'));
      expect(unknown).toEqual([expect.objectContaining({ ok: false })]);
    }
    // The old fixed root and a prefix nobody serves: nobody answers.
    for (const subject of ['stator.api.health', `${uniquePrefix('none')}.api.health`]) {
      await expect(base.request(subject, undefined, 2000)).rejects.toThrow(/503|no responders/i);
    }
    // Engines answer on their own deployment's inbound subjects only.
    const engine = await base.request<{ ok: boolean }>(a.client.subject('engine', 'a1-e1', 'in'), {
      type: 'health.check',
    });
    expect(engine).toMatchObject({ ok: true });
    // The same engine id under the other prefix: a1 does not listen there, nobody in b holds it.
    const elsewhere = await base
      .request<{ ok: boolean }>(
        b.client.subject('engine', 'a1-e1', 'in'),
        { type: 'health.check' },
        2000,
      )
      .catch((err: Error) => ({ ok: false, refused: err.message }));
    expect(elsewhere).toMatchObject({ ok: false });

    // Discovery: one service per deployment, named by its prefix, endpoints under it.
    const pings = (await allReplies('$SRV.PING')) as { name: string }[];
    expect(pings.map((p) => p.name).sort()).toEqual([a.prefix, b.prefix].sort());
    for (const d of [a, b]) {
      const infos = (await allReplies(`$SRV.INFO.${d.prefix}`)) as {
        name: string;
        endpoints: { subject: string; queue_group: string }[];
      }[];
      expect(infos).toHaveLength(1);
      expect(infos[0]!.name).toBe(d.prefix);
      expect(infos[0]!.endpoints.length).toBeGreaterThan(10);
      for (const e of infos[0]!.endpoints) {
        expect(e.subject.startsWith(`${d.prefix}.api.`), e.subject).toBe(true);
        expect(e.queue_group).toBe(`${d.prefix}-api`);
      }
    }
  });

  it('keep every stream, bucket and consumer under their own prefix', async () => {
    const jsm = await jetstreamManager(base.nc);
    const streams: { name: string; subjects: string[] }[] = [];
    for await (const info of jsm.streams.list()) {
      streams.push({ name: info.config.name, subjects: info.config.subjects ?? [] });
    }
    const names = streams.map((s) => s.name);
    for (const name of names) {
      expect(belongsTo(name, a.prefix) || belongsTo(name, b.prefix), name).toBe(true);
    }
    for (const { prefix } of [a, b]) {
      const subjectsOf = (name: string) => streams.find((s) => s.name === name)?.subjects;
      expect(subjectsOf(`${prefix}_events`)).toEqual([`${prefix}.*.*.out`]);
      // One subject per priority: the default one (3) keeps the name of earlier releases.
      const work = subjectsOf(`${prefix}_work`) ?? [];
      expect(work).toContain(`${prefix}.work.${prefix}`);
      expect(
        work.every((s) => s.startsWith(`${prefix}.work.${prefix}`)),
        work.join(),
      ).toBe(true);
      expect(subjectsOf(`${prefix}_logs`)).toEqual([`${prefix}_logs.>`]);
      for (const bucket of ['workflows', 'executions', 'steps', 'index', 'leases', 'sessions']) {
        expect(names).toContain(`KV_${prefix}_${bucket}`);
      }
      const consumers: string[] = [];
      for await (const c of jsm.consumers.list(`${prefix}_work`)) consumers.push(c.name);
      expect(consumers).toContain(`${prefix}-${prefix}`);
      expect(
        consumers.every((c) => c.startsWith(`${prefix}-${prefix}`)),
        consumers.join(),
      ).toBe(true);
    }
    // Nothing under the old fixed names.
    expect(names.filter((n) => /stator/i.test(n))).toEqual([]);
  });

  it('refuse to start under a prefix that is not one subject token', async () => {
    const bad = startStatorNode({
      natsUrl: server.url,
      prefix: 'a.b',
      name: 'bad',
      workflowsDir: WORKFLOWS_DIR,
      startTimeoutMs: 60_000,
    });
    await expect(bad).rejects.toThrow(/exited \(2\)[\s\S]*--nats-prefix: 1-32 letters/);
  });
});

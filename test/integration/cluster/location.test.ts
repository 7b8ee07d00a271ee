/**
 * Location transparency: two `stator serve --nats` processes on one NATS server, and a user who
 * talks to n1 only (HTTP and `<prefix>.api.*`, whose queue group may pick either node) about actors
 * that live on n2: a session's get, logs, input and stop; n2's engines; cancels of many distinct
 * runs in parallel through both nodes, each answered `ok` once. A third node killed with SIGKILL
 * leaves commands for its actors answered `unavailable` at once, never a hang or `not_found`.
 * Driven by a plain NATS client and fetch().
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import {
  RawClient,
  type ApiReply,
  type EventWatch,
  type WireErrorShape,
} from '../../fixtures/cluster/raw-client.ts';
import { startStatorNode, tail, type StatorNode } from '../../fixtures/cluster/stator-node.ts';
import { WORKFLOWS_DIR } from '../../fixtures/cluster/workflows.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const SLOW = { timeout: 120_000 };
/** Distinct runs cancelled at once. */
const CANCELS = 50;

interface SessionView {
  id: string;
  status: string;
  node: string | null;
  activity: string | null;
}

let server: NatsServer;
let client: RawClient;
let n1: StatorNode;
let n2: StatorNode;
const extra: StatorNode[] = [];
const prefix = uniquePrefix('loc');

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  client = await RawClient.connect(server.url, 'raw-test-client', prefix);
  const started = await Promise.allSettled(
    ['n1', 'n2'].map((name) =>
      startStatorNode({ natsUrl: server.url, prefix, name, workflowsDir: WORKFLOWS_DIR }),
    ),
  );
  for (const s of started) if (s.status === 'fulfilled') extra.push(s.value);
  for (const s of started) if (s.status === 'rejected') throw s.reason;
  [n1, n2] = started.map((s) => (s as PromiseFulfilledResult<StatorNode>).value) as [
    StatorNode,
    StatorNode,
  ];
}, 120_000);

afterAll(async () => {
  await Promise.all(extra.map((n) => n.kill()));
  await client?.close();
  if (server) await deleteClusterStreams(server.url, [prefix]).catch(() => undefined);
  await server?.stop();
}, 30_000);

/** An HTTP call to `node`; the parsed JSON body (or text) with the status. */
async function http<T = unknown>(
  node: StatorNode,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${node.httpUrl}${path}`, {
    method,
    ...(body !== undefined && {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Plain text (logs).
  }
  return { status: res.status, body: parsed as T };
}

function diagnostics(): string {
  return [n1, n2, ...extra.slice(2)]
    .map((n) => `--- ${n.name} ---\n${tail(n.output, 20)}`)
    .join('\n');
}

/** A session that echoes each input line, created through `node` (so it lives there). */
async function echoSession(node: StatorNode, name: string): Promise<SessionView> {
  const created = await http<SessionView>(node, 'POST', '/api/sessions', {
    name,
    run: 'while read l; do echo "echo: $l"; done',
    autostart: true,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(created.body).toMatchObject({ status: 'running', node: node.name });
  return created.body;
}

describe('cluster: any node answers for every actor', () => {
  it(
    'cancels 50 distinct runs in parallel through both nodes, each once and ok',
    SLOW,
    async () => {
      const watch: EventWatch = client.watch(client.subject('execution', '*', 'out'));
      try {
        await client.flush();
        await client.call('workflow.register', {
          id: 'endless',
          steps: [{ id: 'nap', run: 'sleep 60' }],
        });
        const label = uniquePrefix('x');
        const ids = Array.from({ length: CANCELS }, (_, i) => `${label}-${i}`);
        await Promise.all(
          ids.map((executionId) =>
            client.call('workflow.execute', { workflowId: 'endless', executionId }),
          ),
        );
        // 2 nodes x 2 engines x 8 slots: 32 runs running on both nodes, the rest queued.
        await waitFor(
          () => ids.filter((id) => watch.typesOf(id).includes('step.started')).length >= 32,
          { timeoutMs: 60_000, intervalMs: 100, message: `32 runs started\n${diagnostics()}` },
        );
        const page = await client.call<{ items: Array<{ id: string; node: string | null }> }>(
          'execution.list',
          { workflowId: 'endless', status: 'running', limit: 500 },
        );
        expect(new Set(page.items.map((e) => e.node))).toEqual(new Set(['n1', 'n2']));

        // A third through n1's HTTP, a third through n2's, a third over NATS (either node).
        const replies = await Promise.all(
          ids.map(async (id, i): Promise<ApiReply<{ status: string }>> => {
            if (i % 3 === 2) return client.api('execution.cancel', { id }, 30_000);
            const res = await http<{ status: string; error?: WireErrorShape }>(
              i % 3 === 0 ? n1 : n2,
              'POST',
              `/api/executions/${id}/cancel`,
            );
            return res.status === 200
              ? { ok: true, data: res.body }
              : { ok: false, error: res.body.error! };
          }),
        );
        const failed = replies
          .map((r, i) => [ids[i], r] as const)
          .filter(([, r]) => !r.ok || r.data.status !== 'cancelled');
        expect(failed, JSON.stringify(failed)).toEqual([]);

        await waitFor(() => ids.every((id) => watch.typesOf(id).includes('execution.cancelled')), {
          timeoutMs: 30_000,
          message: 'every run cancelled',
        });
        const cancelledEvents = watch.countByExecution('execution.cancelled');
        expect(ids.map((id) => cancelledEvents.get(id) ?? 0)).toEqual(ids.map(() => 1));
        const records = await client.call<{ items: Array<{ status: string }> }>('execution.list', {
          workflowId: 'endless',
          limit: 500,
        });
        expect(records.items.map((e) => e.status)).toEqual(ids.map(() => 'cancelled'));
        // Stopped where they ran: no node still holds one.
        for (const node of [n1, n2]) {
          await waitFor(
            async () =>
              (await http<{ activeExecutions: number }>(node, 'GET', '/health')).body
                .activeExecutions === 0,
            { timeoutMs: 15_000, intervalMs: 200, message: `${node.name} holds no run` },
          );
        }
      } finally {
        watch.stop();
      }
    },
  );
  it(
    'reads, drives and stops a session living on n2 from n1, over HTTP and NATS',
    SLOW,
    async () => {
      const session = await echoSession(n2, 'echo-on-n2');
      const path = `/api/sessions/${session.id}`;
      // The owner's live view, through n1.
      expect((await http<SessionView>(n1, 'GET', path)).body).toMatchObject({
        id: session.id,
        status: 'running',
        node: 'n2',
      });
      // A follower on n1 sees the lines the session writes on n2.
      const follow = new AbortController();
      const followed = await fetch(`${n1.httpUrl}${path}/logs?follow=1`, {
        signal: follow.signal,
      });
      expect(followed.status).toBe(200);
      const reader = followed.body!.pipeThrough(new TextDecoderStream()).getReader();
      let streamed = '';
      const reading = (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          streamed += value;
        }
      })().catch(() => undefined);
      try {
        const input = await http<SessionView>(n1, 'POST', `${path}/input`, { text: 'from-n1' });
        expect(input.status, JSON.stringify(input.body)).toBe(200);
        expect(input.body).toMatchObject({ id: session.id, node: 'n2' });
        await waitFor(
          async () => {
            const logs = await http<{ items: Array<{ line: string }> }>(
              n1,
              'GET',
              `${path}/logs?format=json`,
            );
            return logs.body.items.some((l) => l.line === 'echo: from-n1');
          },
          { timeoutMs: 10_000, message: 'the echo in the logs read through n1' },
        );
        await waitFor(() => streamed.includes('stdout | echo: from-n1'), {
          timeoutMs: 10_000,
          message: `the echo followed through n1 (got ${JSON.stringify(streamed)})`,
        });
      } finally {
        follow.abort();
        await reading;
      }

      // Over NATS the queue group picks either node: every call is answered by the owner.
      for (let i = 0; i < 10; i++) {
        const text = `nats-${i}`;
        const sent = await client.api('session.input', { id: session.id, text });
        expect(sent, JSON.stringify(sent)).toMatchObject({ ok: true, data: { node: 'n2' } });
      }
      await waitFor(
        async () => {
          const logs = await client.api<{ items: Array<{ line: string }> }>('session.logs', {
            id: session.id,
          });
          return logs.ok && logs.data.items.some((l) => l.line === 'echo: nats-9');
        },
        { timeoutMs: 10_000, message: 'the last NATS input echoed' },
      );
      const reads = await Promise.all(
        Array.from({ length: 10 }, () => client.api('session.logs', { id: session.id })),
      );
      expect(reads.filter((r) => !r.ok)).toEqual([]);
      const renamed = await http<SessionView & { name: string }>(n1, 'PATCH', path, {
        name: 'renamed-through-n1',
      });
      expect(renamed.body).toMatchObject({ name: 'renamed-through-n1', node: 'n2' });

      const stopped = await http<SessionView>(n1, 'POST', `${path}/stop`);
      expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
      expect(stopped.body).toMatchObject({ status: 'stopped', node: 'n2' });
      expect((await http<SessionView>(n2, 'GET', path)).body.status).toBe('stopped');
      expect((await http(n1, 'DELETE', path)).status).toBe(204);
      expect((await http(n2, 'GET', path)).status).toBe(404);
    },
  );

  it(
    "drives n2's engines from n1, over HTTP, NATS and the engine's own subject",
    SLOW,
    async () => {
      const paused = await http<{ id: string; status: string }>(
        n1,
        'POST',
        '/api/engines/n2-e1/pause',
      );
      expect(paused.status, JSON.stringify(paused.body)).toBe(200);
      expect(paused.body).toMatchObject({ id: 'n2-e1', status: 'paused' });
      const onN2 = await http<{ engines: Array<{ id: string; status: string }> }>(
        n2,
        'GET',
        '/health',
      );
      expect(onN2.body.engines.find((e) => e.id === 'n2-e1')?.status).toBe('paused');
      // Whichever node the queue group picks, the engine's holder answers.
      for (let i = 0; i < 6; i++) {
        expect(await client.api('engine.get', { id: 'n2-e1' })).toMatchObject({
          ok: true,
          data: { id: 'n2-e1', status: 'paused' },
        });
      }
      // Only n2 subscribes `<prefix>.engine.n2-e1.in`: never a `not_found` from n1.
      for (let i = 0; i < 6; i++) {
        expect(
          await client.request(client.subject('engine', 'n2-e1', 'in'), { type: 'health.check' }),
        ).toMatchObject({ ok: true, data: { id: 'n2-e1', status: 'paused' } });
      }
      expect(await client.api('engine.resume', { id: 'n2-e1' })).toMatchObject({
        ok: true,
        data: { id: 'n2-e1', status: 'idle' },
      });
      expect((await http(n1, 'GET', '/api/engines/n2-e2')).body).toMatchObject({
        id: 'n2-e2',
        status: 'idle',
      });
      // n1's own engine from n2, for symmetry.
      expect((await http(n2, 'GET', '/api/engines/n1-e1')).body).toMatchObject({ id: 'n1-e1' });
    },
  );

  it(
    'answers `unavailable` at once for the actors of a node killed with SIGKILL',
    SLOW,
    async () => {
      const n3 = await startStatorNode({
        natsUrl: server.url,
        prefix,
        name: 'n3',
        workflowsDir: WORKFLOWS_DIR,
      });
      extra.push(n3);
      const session = await echoSession(n3, 'echo-on-n3');
      expect((await http(n1, 'GET', '/api/engines/n3-e1')).body).toMatchObject({ id: 'n3-e1' });
      await n3.kill();

      const path = `/api/sessions/${session.id}`;
      const timed = async <T>(call: () => Promise<T>, withinMs = 2500): Promise<T> => {
        const started = performance.now();
        const result = await call();
        expect(performance.now() - started, 'answered without waiting long').toBeLessThan(withinMs);
        return result;
      };
      // Right away, whether or not the server has noticed the dead connection yet: `unavailable`
      // within the owner timeout (5 s), never a hang.
      const first = await timed(
        () => http<{ error: WireErrorShape }>(n1, 'GET', `${path}/logs`),
        7500,
      );
      expect(first.status, JSON.stringify(first.body)).toBe(503);
      expect(first.body.error).toMatchObject({ code: 'unavailable', recoverable: true });
      // Once the server has dropped n3's subscriptions (its socket closed), at once.
      await waitFor(
        () =>
          client
            .request(client.subject('engine', 'n3-e1', 'in'), { type: 'health.check' }, 1000)
            .then(
              () => false,
              (err: Error) => /no responders|503/i.test(err.message),
            ),
        { timeoutMs: 10_000, intervalMs: 100, message: "the server dropped n3's subscriptions" },
      );
      for (const [method, suffix, body] of [
        ['GET', '/logs', undefined],
        ['POST', '/input', { text: 'anyone?' }],
        ['POST', '/stop', undefined],
      ] as const) {
        const res = await timed(() =>
          http<{ error: WireErrorShape }>(n1, method, `${path}${suffix}`, body),
        );
        expect(res.status, `${method} ${suffix}: ${JSON.stringify(res.body)}`).toBe(503);
        expect(res.body.error).toMatchObject({ code: 'unavailable', recoverable: true });
        expect(res.body.error.message).toMatch(/n3/);
      }
      const overNats = await timed(() => client.api('session.logs', { id: session.id }));
      expect(overNats).toMatchObject({ ok: false, error: { code: 'unavailable' } });
      // Reads of the record still work: the session as n3 last stored it.
      expect((await timed(() => http<SessionView>(n1, 'GET', path))).body).toMatchObject({
        id: session.id,
        node: 'n3',
      });
      const engine = await timed(() =>
        http<{ error: WireErrorShape }>(n1, 'POST', '/api/engines/n3-e1/pause'),
      );
      expect(engine.status).toBe(503);
      expect(engine.body.error).toMatchObject({ code: 'unavailable' });
    },
  );
});

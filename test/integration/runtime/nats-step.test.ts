/**
 * `nats` steps on a private nats-server, the service on a NATS bus (its connection is the one
 * the steps use): a request whose JSON reply becomes outputs that a later exec step reads; a
 * publish a subscriber receives with its rendered payload; "no responders" and a responder that
 * never answers fail the attempt with a clear error. Without a NATS connection (embedded mode)
 * a workflow with a nats step is refused at registration.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsBus, InvalidWorkflowError, type Bus } from '../../../src/index.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';
import { startStator, type TestStator } from '../../helpers/stator.ts';
import { useStator } from '../../helpers/use-stator.ts';

let server: NatsServer;
let bus: Bus;
let client: NatsConnection;
let t: TestStator;
const prefix = uniquePrefix('nstep');

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  bus = await createNatsBus({ servers: server.url, name: 'stator-nats-step-test' });
  client = await connect({ servers: server.url });
  t = await startStator({ bus, store: 'memory' });
  // A responder: answers with what it got and a version.
  client.subscribe(`${prefix}.version`, {
    callback: (_err, msg) => {
      msg.respond(JSON.stringify({ version: '2.0.1', got: msg.json() }));
    },
  });
  // A responder that never answers.
  client.subscribe(`${prefix}.mute`, { callback: () => undefined });
  await client.flush();
}, 30_000);

afterAll(async () => {
  await t?.close();
  await client?.close();
  await bus?.close();
  await server?.stop();
});

const run = async (steps: unknown[], input: Record<string, unknown> = {}) => {
  const id = `n${Math.random().toString(36).slice(2, 10)}`;
  await t.stator.registerWorkflow({ id, steps });
  return t.run(id, input, 20_000);
};

describe('nats steps', () => {
  it('hands a request reply on as outputs', async () => {
    const { record } = await run(
      [
        {
          id: 'ask',
          nats: { subject: `${prefix}.version`, payload: { who: '${{ inputs.who }}', n: 2 } },
        },
        { id: 'show', needs: ['ask'], exec: ['echo', 'v=${{ steps.ask.outputs.version }}'] },
      ],
      { who: 'me' },
    );
    expect(record.status).toBe('completed');
    expect(record.steps[0]!.outputs).toEqual({ version: '2.0.1', got: { who: 'me', n: 2 } });
    const logs = await t.stator.logs(record.id);
    expect(logs).toContain('v=2.0.1');
    expect(logs).toMatch(/nats: request .*\.version/);
    expect(logs).toMatch(/nats: reply from .*\.version \(\d+ ms, \d+ bytes\)/);
  });

  it('publishes without waiting for a reply', async () => {
    const got: string[] = [];
    const sub = client.subscribe(`${prefix}.events`, {
      callback: (_e, m) => {
        got.push(m.string());
      },
    });
    await client.flush();
    const { record } = await run(
      [
        {
          id: 'tell',
          nats: { subject: `${prefix}.events`, payload: 'hello ${{ inputs.x }}', request: false },
        },
      ],
      { x: 'there' },
    );
    expect(record.status).toBe('completed');
    expect(record.steps[0]).not.toHaveProperty('outputs');
    await waitFor(() => got.length === 1, { timeoutMs: 5000, message: 'published' });
    expect(got).toEqual(['hello there']);
    sub.unsubscribe();
  });

  it('fails with "no responders" when nothing listens', async () => {
    const { record } = await run([{ id: 'ask', nats: { subject: `${prefix}.nobody` } }]);
    expect(record.status).toBe('failed');
    expect(record.steps[0]!.error).toMatch(/no responders on '.*\.nobody'/);
  });

  it('fails at its timeout when the responder never answers, retried by policy', async () => {
    const { record } = await run([
      {
        id: 'ask',
        retry: { attempts: 2, backoff: '10ms' },
        nats: { subject: `${prefix}.mute`, timeout: '200ms' },
      },
    ]);
    expect(record.status).toBe('failed');
    expect(record.steps[0]).toMatchObject({ attempts: 2 });
    expect(record.steps[0]!.error).toMatch(/no reply on '.*\.mute' within 200 ms/);
  });
});

describe('nats steps without a NATS connection', () => {
  const e = useStator({ start: 'suite', store: 'memory' });
  it('are refused at registration with the reason', async () => {
    const registered = e.stator.registerWorkflow({
      id: 'needs-nats',
      steps: [{ id: 'a', nats: { subject: 'x.y' } }],
    });
    await expect(registered).rejects.toBeInstanceOf(InvalidWorkflowError);
    await expect(registered).rejects.toThrow(/steps\[0\]\.nats.*cluster mode/);
  });
});

/**
 * Call steps in cluster mode (NATS bus, JetStream store and work queue of `connectCluster()`):
 * a nats request on the service's own connection (its subject outside Stator's prefix) hands its
 * reply to a workflow step, whose child run goes through the shared queue and store and links to
 * its parent; cancelling a parent cancels its child there too.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStator, type Stator } from '../../../src/index.ts';
import { connectCluster, type ClusterSeams } from '../../../src/runtime/cluster.ts';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const logger = pino({ level: 'silent' });
const prefix = uniquePrefix('calls');
const subject = `${uniquePrefix('svc')}.version`;

let server: NatsServer;
let client: NatsConnection;
let seams: ClusterSeams;
let stator: Stator;

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  client = await connect({ servers: server.url, name: 'call-steps-test' });
  client.subscribe(subject, {
    callback: (_e, msg) => {
      msg.respond(JSON.stringify({ version: '5.1' }));
    },
  });
  await client.flush();
  seams = await connectCluster({ url: server.url, name: 'calls-1', prefix, logger });
  stator = await createStator({
    bus: seams.bus,
    store: seams.store,
    workQueue: seams.workQueue,
    node: 'calls-1',
    shutdownGraceMs: 0,
  });
  await stator.registerWorkflow({
    id: 'kid',
    inputs: { v: { type: 'string' } },
    steps: [{ id: 'k', run: 'echo "seen=v$INPUT_V" >> "$STATOR_OUTPUT"' }],
  });
  await stator.registerWorkflow({
    id: 'mom',
    steps: [
      { id: 'ask', nats: { subject } },
      {
        id: 'c',
        needs: ['ask'],
        workflow: { name: 'kid', inputs: { v: '${{ steps.ask.outputs.version }}' } },
      },
    ],
  });
  await stator.registerWorkflow({ id: 'sleepy', steps: [{ id: 's', sleep: '60s' }] });
  await stator.registerWorkflow({
    id: 'waits',
    steps: [{ id: 'c', workflow: { name: 'sleepy' } }],
  });
}, 60_000);

afterAll(async () => {
  await stator?.close();
  await seams?.close();
  await client?.close();
  await deleteClusterStreams(server.url, [prefix]);
  await server?.stop();
});

describe('cluster: call steps', () => {
  it('a nats reply feeds a child run that links to its parent', { timeout: 60_000 }, async () => {
    const { executionId } = await stator.execute('mom');
    const record = await stator.waitForExecution(executionId, { timeoutMs: 30_000 });
    expect(record.status).toBe('completed');
    expect(record.steps[0]!.outputs).toEqual({ version: '5.1' });
    const step = record.steps[1]!;
    expect(step.outputs).toEqual({ seen: 'v5.1' });
    const child = await stator.getExecution(step.childExecutionId!);
    expect(child).toMatchObject({
      workflowId: 'kid',
      status: 'completed',
      parent: { executionId, stepId: 'c', attempt: 1 },
    });
  });

  it('cancelling the parent cancels the child', { timeout: 60_000 }, async () => {
    const { executionId } = await stator.execute('waits');
    const childId = await waitFor(
      async () => (await stator.getExecution(executionId)).steps[0]!.childExecutionId,
      { timeoutMs: 20_000, message: 'the child was started' },
    );
    await waitFor(async () => (await stator.getExecution(childId)).status === 'running', {
      timeoutMs: 20_000,
      message: 'the child runs',
    });
    await stator.cancel(executionId);
    const child = await stator.waitForExecution(childId, { timeoutMs: 20_000 });
    expect(child.status).toBe('cancelled');
  });
});

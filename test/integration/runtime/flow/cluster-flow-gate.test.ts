/**
 * The cluster flow gate on a private nats-server: the FlowGate conformance cases (each gate on
 * a fresh prefix's bucket, a peer opened on its own connection as another node), and the sweep:
 * the slots of runs that ended without freeing them (their node killed) are freed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { systemClock } from '../../../../src/clock.ts';
import { silentLogger } from '../../../../src/logger.ts';
import {
  ClusterFlowGate,
  openFlowKv,
  type FlowReady,
  type FlowGate,
  type FlowRunState,
  type FlowSuperseded,
} from '../../../../src/runtime/flow/index.ts';
import { runFlowGateConformance } from '../../../conformance/flow-gate.case.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../../helpers/nats-server.ts';
import { waitFor } from '../../../helpers/poll.ts';

let server: NatsServer;
let nc: NatsConnection;
const prefixes = new WeakMap<FlowGate, string>();
const conns: NatsConnection[] = [];

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  nc = await connect({ servers: server.url });
}, 30_000);

afterAll(async () => {
  for (const c of conns) await c.close();
  await nc?.close();
  await server?.stop();
});

async function open(
  prefix: string,
  ready: (r: FlowReady) => void,
  superseded?: FlowSuperseded,
  runState: (id: string) => Promise<FlowRunState> = async () => ({ over: false, started: true }),
  connection = nc,
) {
  const gate = await ClusterFlowGate.open({
    kv: await openFlowKv({ connection, prefix }),
    clock: systemClock,
    logger: silentLogger(),
    ready,
    ...(superseded && { superseded }),
    runState,
    sweepMs: 200,
  });
  prefixes.set(gate, prefix);
  return gate;
}

runFlowGateConformance({
  name: 'cluster (JetStream KV)',
  async create(ready, superseded) {
    const gate = await open(uniquePrefix('flow'), ready, superseded);
    return { gate, dispose: () => gate.close() };
  },
  async peer(gate, ready, superseded) {
    const other = await connect({ servers: server.url });
    conns.push(other);
    return open(prefixes.get(gate)!, ready, superseded, undefined, other);
  },
});

describe('ClusterFlowGate sweep', () => {
  it('frees the slots of runs that ended without freeing them', async () => {
    const over = new Set<string>();
    const ready: string[] = [];
    const prefix = uniquePrefix('flowsweep');
    const conc = { runConcurrency: { key: 'inputs.k', limit: 1 } };
    const run = (id: string) => ({ executionId: id, workflowId: 'wf', controls: conc, inputs: { k: 'a' } });
    // The node that took the slot dies: it never frees it.
    const dead = await open(prefix, () => undefined);
    expect((await dead.admit(run('r1'))).start).toBe(true);
    await dead.close();
    const alive = await open(
      prefix,
      (r) => ready.push(r.executionId),
      undefined,
      async (id) => ({ over: over.has(id), started: true }),
    );
    expect((await alive.admit(run('w1'))).start).toBe(false);
    await new Promise((r) => setTimeout(r, 600));
    expect(ready).toEqual([]); // r1 still runs (somewhere): its slot holds
    over.add('r1'); // it ended; the node freeing its slot was killed
    await waitFor(() => ready.length === 1, { message: 'w1 woken by the sweep' });
    expect(ready).toEqual(['w1']);
    await alive.close();
  });
});

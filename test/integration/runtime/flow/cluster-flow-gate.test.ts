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
  requeueAfterMs?: number,
) {
  const gate = await ClusterFlowGate.open({
    kv: await openFlowKv({ connection, prefix }),
    clock: systemClock,
    logger: silentLogger(),
    ready,
    ...(superseded && { superseded }),
    runState,
    sweepMs: 200,
    ...(requeueAfterMs !== undefined && { requeueAfterMs }),
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
    const run = (id: string) => ({
      executionId: id,
      workflowId: 'wf',
      controls: conc,
      inputs: { k: 'a' },
    });
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

  it('wakes again a run let go by a node killed before it queued it', async () => {
    const prefix = uniquePrefix('flowpass');
    const deb = { debounce: { key: 'inputs.k', periodMs: 100 } };
    const run = { executionId: 'd1', workflowId: 'wf', controls: deb, inputs: { k: 'a' } };
    // This node lets d1 go when the key is quiet, and dies before queueing it.
    let wokenOnDead = false;
    const dead = await open(prefix, () => (wokenOnDead = true));
    expect((await dead.admit(run)).start).toBe(false);
    await waitFor(() => wokenOnDead, { message: 'd1 let go' });
    await dead.close();
    const ready: string[] = [];
    const alive = await open(
      prefix,
      (r) => ready.push(r.executionId),
      undefined,
      async () => ({ over: false, started: false }),
      nc,
      300,
    );
    await waitFor(() => ready.length === 1, { message: 'd1 woken again by the sweep' });
    expect(ready).toEqual(['d1']);
    // Its pass is still its own: it goes on when it comes back.
    expect((await alive.admit(run)).start).toBe(true);
    await alive.close();
  });

  it('cancels again a run absorbed by a burst whose canceller was killed', async () => {
    const prefix = uniquePrefix('flowabs');
    const deb = { debounce: { key: 'inputs.k', periodMs: 60_000 } };
    const run = (id: string, createdAt: number) => ({
      executionId: id,
      workflowId: 'wf',
      controls: deb,
      inputs: { k: 'a' },
      createdAt,
    });
    // This node replaces d1 by d2 and dies before its cancel of d1 is done.
    const dead = await open(
      prefix,
      () => undefined,
      () => new Promise<void>(() => undefined),
    );
    await dead.admit(run('d1', Date.now()));
    await dead.admit(run('d2', Date.now() + 1));
    await dead.close();
    const gone: Array<[string, string]> = [];
    const alive = await open(
      prefix,
      () => undefined,
      (id, into) => void gone.push([id, into]),
      undefined,
      nc,
      300,
    );
    await waitFor(() => gone.length === 1, { message: 'd1 cancelled again by the sweep' });
    expect(gone).toEqual([['d1', 'd2']]);
    await new Promise((r) => setTimeout(r, 800));
    expect(gone).toHaveLength(1); // done: not cancelled again
    await alive.close();
  });
});

/**
 * The command API on NATS as any NATS client sees it: a plain `@nats-io/transport-node`
 * connection with hand-made JSON (test/fixtures/cluster/raw-client.ts) against a Stator on a
 * NATS bus. Covers `stator.api.*` request-reply, the events on `stator.execution.<id>.out`, a
 * cancel published on `stator.execution.<id>.in`, structured errors for malformed payloads, and
 * discovery in the NATS micro format (`$SRV.PING|INFO|STATS`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES } from '../../../src/commands/index.ts';
import { createNatsBus, createStator, type Bus, type Stator } from '../../../src/index.ts';
import {
  RawClient,
  type EventWatch,
  type WireErrorShape,
} from '../../fixtures/cluster/raw-client.ts';
import { ECHO_YAML, GREET_WORKFLOW, SLOW_WORKFLOW } from '../../fixtures/cluster/workflows.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const NODE = 'api-node';
const FINAL = [
  'execution.completed',
  'execution.failed',
  'execution.cancelled',
  'execution.timed_out',
];

let server: NatsServer;
let bus: Bus;
let stator: Stator;
let client: RawClient;
let watch: EventWatch;

beforeAll(async () => {
  // Stator's subjects have a fixed root (`stator.api.*`): a server shared with other test files
  // would let their services answer these requests, so this file always runs its own.
  server = await startNatsServer({ private: true });
  bus = await createNatsBus({ servers: server.url, name: 'stator-api-test' });
  stator = await createStator({ bus, store: 'memory', node: NODE, shutdownGraceMs: 0 });
  client = await RawClient.connect(server.url);
  watch = client.watch('stator.execution.*.out');
  await client.flush();
}, 30_000);

afterAll(async () => {
  watch?.stop();
  await client?.close();
  await stator?.close();
  await bus?.close();
  await server?.stop();
});

/** Resolves once the run's final event has arrived on its `.out` subject. */
function finalEvent(executionId: string, timeoutMs = 20_000) {
  return waitFor(() => watch.of(executionId).find((e) => FINAL.includes(e.type)), {
    timeoutMs,
    message: `final event of ${executionId}`,
  });
}

function expectWireError(error: WireErrorShape | undefined): void {
  expect(error).toBeDefined();
  expect(typeof error!.code).toBe('string');
  expect(error!.code.length).toBeGreaterThan(0);
  expect(typeof error!.message).toBe('string');
  expect(error!.message.length).toBeGreaterThan(0);
  expect(typeof error!.recoverable).toBe('boolean');
}

describe('cluster: command API over NATS (plain client)', () => {
  it('registers workflows from JSON and YAML text, lists, gets and deletes them', async () => {
    const json = await client.api<{ id: string; version: number }>(
      'workflow.register',
      GREET_WORKFLOW,
    );
    expect(json).toMatchObject({ ok: true, data: { id: 'greet', version: 1 } });
    // YAML goes as raw text: the payload is not JSON at all.
    const yaml = await client.api<{ id: string; source: string }>('workflow.register', ECHO_YAML);
    expect(yaml).toMatchObject({
      ok: true,
      data: { id: 'echo-yaml', version: 1, source: ECHO_YAML },
    });
    // Registering again replaces and bumps the version.
    expect(await client.api('workflow.register', GREET_WORKFLOW)).toMatchObject({
      ok: true,
      data: { id: 'greet', version: 2 },
    });

    const list = await client.call<{ items: Array<{ id: string; stepCount: number }> }>(
      'workflow.list',
      {},
    );
    expect(list.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'greet', stepCount: 2 }),
        expect.objectContaining({ id: 'echo-yaml', stepCount: 2 }),
      ]),
    );
    const got = await client.call<{ id: string; definition: { steps: Array<{ id: string }> } }>(
      'workflow.get',
      { id: 'echo-yaml' },
    );
    expect(got.definition.steps.map((s) => s.id)).toEqual(['one', 'two']);

    const temp = { id: uniquePrefix('tmp'), steps: [{ id: 'x', noop: true }] };
    await client.call('workflow.register', temp);
    expect(await client.api('workflow.delete', { id: temp.id })).toEqual({
      ok: true,
      data: { id: temp.id, deleted: true },
    });
    const gone = await client.api('workflow.get', { id: temp.id });
    expect(gone.ok).toBe(false);
    if (!gone.ok) expect(gone.error).toMatchObject({ code: 'not_found', recoverable: false });
  });

  it('executes with a chosen execution id and streams its events in order', async () => {
    await client.call('workflow.register', GREET_WORKFLOW);
    const executionId = uniquePrefix('ex-api-');
    const reply = await client.api('workflow.execute', {
      workflowId: 'greet',
      input: { name: 'nats' },
      executionId,
    });
    expect(reply).toEqual({ ok: true, data: { executionId } });

    const final = await finalEvent(executionId);
    expect(final.type).toBe('execution.completed');
    const events = watch.of(executionId);
    const types = events.map((e) => e.type);
    const started = types.indexOf('execution.started');
    expect(started).toBeGreaterThanOrEqual(0);
    expect(types.filter((t) => t === 'execution.started')).toHaveLength(1);
    // Everything of the run lies between its start and its end, which comes last.
    expect(types.at(-1)).toBe('execution.completed');
    for (const [i, t] of types.entries()) {
      if (t.startsWith('step.')) expect(i).toBeGreaterThan(started);
    }
    expect(types.indexOf('step.completed')).toBeGreaterThan(types.indexOf('step.started'));
    // One publisher: sequence numbers rise in arrival order.
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(events.every((e) => e.source === `execution.${executionId}`)).toBe(true);
    expect(events.find((e) => e.type === 'step.stdout' && e.stepId === 'hello')?.line).toBe(
      'hello nats',
    );

    const detail = await client.call<Record<string, unknown>>('execution.get', { id: executionId });
    expect(detail).toMatchObject({
      id: executionId,
      workflowId: 'greet',
      status: 'completed',
      input: { name: 'nats' },
      node: NODE,
      steps: [
        { id: 'hello', status: 'succeeded', exitCode: 0 },
        { id: 'bye', status: 'succeeded', exitCode: 0 },
      ],
    });
    expect(detail).not.toHaveProperty('definition');

    const logs = await client.call<string>('execution.logs', { id: executionId });
    expect(logs).toContain('hello stdout | hello nats');
    expect(logs).toContain('bye stdout | bye');
    expect(await client.call('execution.logs', { id: executionId, stepId: 'bye' })).toBe(
      'bye stdout | bye\n',
    );

    const page = await client.call<{ items: Array<{ id: string; status: string }> }>(
      'execution.list',
      { workflowId: 'greet', status: 'completed' },
    );
    expect(page.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: executionId, status: 'completed' })]),
    );
  });

  it('executes without an id: the generated one names the events subject', async () => {
    await client.call('workflow.register', ECHO_YAML);
    const { executionId } = await client.call<{ executionId: string }>('workflow.execute', {
      workflowId: 'echo-yaml',
    });
    expect(executionId).toMatch(/^[A-Za-z0-9_-]+$/);
    expect((await finalEvent(executionId)).type).toBe('execution.completed');
    expect(watch.typesOf(executionId)).toContain('execution.started');
    // A chosen id that is taken is refused and changes nothing.
    const again = await client.api('workflow.execute', { workflowId: 'echo-yaml', executionId });
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.error.code).toBe('conflict');
  });

  it('cancels a long run from a {"type":"cancel"} published on its .in subject', async () => {
    await client.call('workflow.register', SLOW_WORKFLOW);
    const executionId = uniquePrefix('ex-slow-');
    await client.call('workflow.execute', { workflowId: 'slow', executionId });
    await waitFor(() => watch.of(executionId).some((e) => e.type === 'step.started'), {
      timeoutMs: 20_000,
      message: 'slow step started',
    });

    client.publish(`stator.execution.${executionId}.in`, '{"type":"cancel"}');
    const final = await finalEvent(executionId);
    expect(final).toMatchObject({ type: 'execution.cancelled', status: 'cancelled' });
    expect(watch.typesOf(executionId)).toContain('step.cancelled');
    const detail = await client.call<{ status: string }>('execution.get', { id: executionId });
    expect(detail.status).toBe('cancelled');
    // The cancel of a finished run is refused with conflict.
    expect(await client.api('execution.cancel', { id: executionId })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
  });

  it('answers inbound events as a request, and refuses unknown ones with a structured error', async () => {
    const executionId = uniquePrefix('ex-slow-');
    await client.call('workflow.execute', { workflowId: 'slow', executionId });
    await waitFor(() => watch.of(executionId).some((e) => e.type === 'step.started'), {
      timeoutMs: 20_000,
      message: 'slow step started',
    });
    const inbound = `stator.execution.${executionId}.in`;
    const bad = await client.request<{ ok: boolean; error?: WireErrorShape }>(inbound, {
      type: 'explode',
    });
    expect(bad.ok).toBe(false);
    expectWireError(bad.error);
    expect(bad.error!.code).toBe('invalid_argument');
    const notJson = await client.request<{ ok: boolean; error?: WireErrorShape }>(inbound, '{');
    expect(notJson.ok).toBe(false);
    expectWireError(notJson.error);
    // Still running after both.
    expect(watch.typesOf(executionId).some((t) => FINAL.includes(t))).toBe(false);

    const reply = await client.request<{ ok: boolean; data: { status: string } }>(inbound, {
      type: 'cancel',
      reason: 'enough',
    });
    expect(reply).toMatchObject({ ok: true, data: { status: 'cancelled' } });
    expect(await finalEvent(executionId)).toMatchObject({ type: 'execution.cancelled' });
  });

  it('reports health and the statecharts', async () => {
    // A NATS bus with an in-process queue is embedded: every run accepted here runs here.
    expect(await client.api('health')).toMatchObject({
      ok: true,
      data: { status: 'ok', node: NODE, mode: 'embedded' },
    });
    const machines = await client.call<{ items: Array<{ name: string }> }>('machine.list', {});
    expect(machines.items.length).toBeGreaterThan(0);
    const name = machines.items[0]!.name;
    expect(await client.call('machine.get', { name, format: 'mermaid' })).toMatch(/stateDiagram/);
  });

  it('answers malformed payloads on every command subject with a structured error and keeps serving', async () => {
    const payloads: Array<[string, string]> = [
      ['not JSON', '{"workflowId": '],
      ['a number', '42'],
      ['an array', '[1,2,3]'],
      ['wrong field types', '{"id": 7, "workflowId": [], "name": {}, "limit": "many", "input": 3}'],
    ];
    for (const name of COMMAND_NAMES) {
      for (const [label, payload] of payloads) {
        const reply = await client.api(name, payload);
        // health and machine.list take no fields: an object with wrong extra fields is fine there.
        if (reply.ok && label === 'wrong field types' && /^(health|machine\.list)$/.test(name)) {
          continue;
        }
        expect(reply.ok, `${name} with ${label}`).toBe(false);
        if (!reply.ok) expectWireError(reply.error);
      }
    }
    const bad = await client.api('execution.get', '{"id": ""}');
    expect(bad).toMatchObject({
      ok: false,
      error: { code: 'invalid_argument', recoverable: false },
    });
    expect(JSON.stringify(bad)).toContain('id');
    // The service still serves valid requests.
    expect(await client.api('health')).toMatchObject({ ok: true, data: { status: 'ok' } });
    expect((await client.api('workflow.get', { id: 'greet' })).ok).toBe(true);
  });

  it('names a YAML syntax error malformed_yaml and bad JSON malformed_json, as HTTP does', async () => {
    const cases: Array<[string, string, string]> = [
      ['workflow.register', 'id: broken\nsteps:\n  - id: a\n    exec: [echo\n', 'malformed_yaml'],
      ['session.create', 'name: [broken\n', 'malformed_yaml'],
      ['workflow.register', '{"id": "broken", "steps": [', 'malformed_json'],
      ['session.create', '{"name": ', 'malformed_json'],
    ];
    for (const [name, payload, code] of cases) {
      const reply = await client.api(name, payload);
      expect(reply, `${name} with ${payload}`).toMatchObject({
        ok: false,
        error: { code, recoverable: false },
      });
    }
  });

  it('answers an unknown command subject with a structured not_found error', async () => {
    for (const subject of ['stator.api.nope', 'stator.api.workflow.explode']) {
      const reply = await client.request<{ ok: boolean; error?: WireErrorShape }>(subject, {});
      expect(reply.ok, subject).toBe(false);
      expectWireError(reply.error);
      expect(reply.error!.code).toBe('not_found');
    }
    expect(await client.api('health')).toMatchObject({ ok: true });
  });

  it('answers $SRV.PING, $SRV.INFO.stator and $SRV.STATS.stator in the micro format', async () => {
    const identity = { name: 'stator', id: NODE, version: expect.any(String) };
    for (const subject of ['$SRV.PING', '$SRV.PING.stator', `$SRV.PING.stator.${NODE}`]) {
      expect(await client.request(subject)).toMatchObject({
        type: 'io.nats.micro.v1.ping_response',
        ...identity,
      });
    }

    const info = await client.request<{
      type: string;
      description: string;
      endpoints: Array<{ name: string; subject: string; queue_group: string }>;
    }>('$SRV.INFO.stator');
    expect(info).toMatchObject({ type: 'io.nats.micro.v1.info_response', ...identity });
    expect(info.description.length).toBeGreaterThan(0);
    expect(info.endpoints.map((e) => e.name).sort()).toEqual([...COMMAND_NAMES].sort());
    for (const e of info.endpoints) {
      expect(e.subject).toBe(`stator.api.${e.name}`);
      expect(e.queue_group.length).toBeGreaterThan(0);
    }

    type Stats = {
      type: string;
      started: string;
      endpoints: Array<{
        name: string;
        num_requests: number;
        num_errors: number;
        last_error: string;
        processing_time: number;
        average_processing_time: number;
      }>;
    };
    const endpoint = (s: Stats, name: string) => s.endpoints.find((e) => e.name === name)!;
    const before = await client.request<Stats>('$SRV.STATS.stator');
    expect(before).toMatchObject({ type: 'io.nats.micro.v1.stats_response', ...identity });
    expect(Number.isNaN(Date.parse(before.started))).toBe(false);
    expect(before.endpoints.map((e) => e.name).sort()).toEqual([...COMMAND_NAMES].sort());

    await client.call('health');
    await client.call('health');
    const refused = await client.api('execution.get', { id: 'ex_missing' });
    expect(refused.ok).toBe(false);
    const after = await client.request<Stats>(`$SRV.STATS.stator.${NODE}`);
    expect(endpoint(after, 'health').num_requests).toBe(
      endpoint(before, 'health').num_requests + 2,
    );
    expect(endpoint(after, 'health').processing_time).toBeGreaterThan(0);
    const get = endpoint(after, 'execution.get');
    expect(get.num_requests).toBe(endpoint(before, 'execution.get').num_requests + 1);
    expect(get.num_errors).toBe(endpoint(before, 'execution.get').num_errors + 1);
    expect(get.last_error).toContain('ex_missing');
  });
});

/**
 * `stator.api.plan.create` from a plain NATS client against a real nats-server: the plan of a
 * registered workflow and of an inline YAML document, and refusals (wrong types, unknown id).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsBus, createStator, type Bus, type Stator } from '../../../src/index.ts';
import type { Plan } from '../../../src/plans/index.ts';
import { RawClient } from '../../fixtures/cluster/raw-client.ts';
import { startNatsServer, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

let server: NatsServer;
let bus: Bus;
let stator: Stator;
let client: RawClient;

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  bus = await createNatsBus({ servers: server.url, name: 'stator-plan-test' });
  stator = await createStator({
    bus,
    store: 'memory',
    node: 'plan-node',
    shutdownGraceMs: 0,
    processHost: false,
    rateLimit: { ratePerSecond: 0 },
  });
  client = await RawClient.connect(server.url);
  await stator.registerWorkflow({
    id: 'deploy',
    environment: 'production',
    steps: [
      { id: 'build', exec: ['make'] },
      { id: 'drop', needs: 'build', run: 'psql -c "DROP TABLE users"', timeout: '1m' },
    ],
  });
}, 30_000);

afterAll(async () => {
  await client?.close();
  await stator?.close({ stopProcesses: true });
  await bus?.close();
  await server?.stop();
});

describe('policies over NATS', () => {
  it('records a run of rm -rf / as blocked', async () => {
    await stator.registerWorkflow({ id: 'wipe', steps: [{ id: 'w', exec: ['rm', '-rf', '/*'] }] });
    const { executionId } = await client.call<{ executionId: string }>('workflow.execute', {
      workflowId: 'wipe',
    });
    const run = await client.call<{ status: string; error: { code: string } }>('execution.get', {
      id: executionId,
    });
    expect(run).toMatchObject({ status: 'blocked', error: { code: 'blocked' } });
    const listed = await client.call<{ items: Array<{ id: string }> }>('execution.list', {
      status: 'blocked',
    });
    expect(listed.items.map((r) => r.id)).toContain(executionId);
  });

  it('waits at the policy gate until approved over NATS', async () => {
    await stator.registerWorkflow({
      id: 'gated',
      policy: { requireApproval: true },
      steps: [{ id: 'go', noop: true }],
    });
    const { executionId } = await client.call<{ executionId: string }>('workflow.execute', {
      workflowId: 'gated',
    });
    await waitFor(async () =>
      (await stator.getExecution(executionId)).status === 'awaiting_approval' ? true : undefined,
    );
    await client.call('execution.approve', { id: executionId, by: 'carol' });
    expect((await stator.waitForExecution(executionId, { timeoutMs: 10_000 })).status).toBe(
      'completed',
    );
  });
});

describe('plan.create over NATS', () => {
  it('plans a registered workflow with its findings', async () => {
    const plan = await client.call<Plan>('plan.create', { workflowId: 'deploy' });
    expect(plan.valid).toBe(true);
    expect(plan.levels).toEqual([['build'], ['drop']]);
    expect(plan.findings.map((f) => `${f.severity}:${f.rule}:${f.stepId ?? ''}`)).toEqual([
      'warning:production-without-approval:',
      'info:no-timeout:build',
      'warning:destructive-sql-drop:drop',
    ]);
  });

  it('plans an inline YAML document with an input', async () => {
    const plan = await client.call<Plan>('plan.create', {
      workflow:
        'id: clean\ninputs: {dir: {type: string}}\nsteps:\n  - {id: rm, exec: [rm, -rf, "${{ inputs.dir }}"], timeout: 1m}\n',
      input: { dir: '/' },
    });
    expect(plan.findings).toEqual([
      expect.objectContaining({ severity: 'critical', rule: 'destructive-rm-root', stepId: 'rm' }),
    ]);
  });

  it('refuses wrong types and unknown workflows', async () => {
    const wrong = await client.api('plan.create', { workflowId: ['x'] });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    const unknown = await client.api('plan.create', { workflowId: 'nope' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});

/**
 * Policies at execute time, embedded (SQLite) over HTTP: under the default global policy a run
 * of `rm -rf /` is recorded `blocked` (error `blocked` with the finding, `execution.blocked`
 * emitted, no step run: a marker file stays absent); a safe workflow runs as before; a workflow
 * `policy.requireApproval` waits at the policy gate, and completes once approved over HTTP; a
 * `deny` list blocks warnings too; `policy: null` on the server lets the dangerous run through
 * the policy (it is not run here: its step is rejected by the approval).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from '../../../src/http/index.ts';
import type { StampedEvent } from '../../../src/index.ts';
import { waitFor } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

interface Run {
  status: string;
  error: { code: string; details?: { findings: Array<{ rule: string }>; reasons: string[] } };
  steps: Array<{ id: string; status: string }>;
}

describe('policies at execute time', () => {
  const t = useStator({ start: 'suite' });
  const http = () => createHttpApp({ stator: t.stator });
  const post = async (path: string, body: unknown) => {
    const res = await http().request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const get = async (id: string) => (await t.stator.getExecution(id)) as unknown as Run;

  it('blocks rm -rf / under the default global policy, before any step runs', async () => {
    const marker = join(t.files, 'ran');
    await t.stator.registerWorkflow({
      id: 'wipe',
      steps: [
        { id: 'mark', exec: ['touch', marker] },
        { id: 'wipe', needs: 'mark', exec: ['rm', '-rf', '/'] },
      ],
    });
    const events: StampedEvent[] = [];
    const sub = t.stator.subscribe((e) => void events.push(e));
    try {
      const { status, body } = await post('/api/workflows/wipe/execute', {});
      expect(status).toBe(202);
      const id = body.executionId as string;
      const run = await get(id);
      expect(run.status).toBe('blocked');
      expect(run.error.code).toBe('blocked');
      expect(run.error.details!.findings).toEqual([
        expect.objectContaining({ rule: 'destructive-rm-root' }),
      ]);
      expect(run.steps.map((s) => s.status)).toEqual(['pending', 'pending']);
      await waitFor(() =>
        events.find((e) => e.type === 'execution.blocked' && e.executionId === id),
      );
      expect((await t.stator.waitForExecution(id)).status).toBe('blocked');
      const listed = await http().request('/api/executions?status=blocked');
      expect(
        ((await listed.json()) as { items: Array<{ id: string }> }).items.map((r) => r.id),
      ).toContain(id);
      expect(existsSync(marker)).toBe(false);
    } finally {
      sub.unsubscribe();
    }
  });

  it('runs a safe workflow as before', async () => {
    await t.stator.registerWorkflow({
      id: 'safe',
      steps: [{ id: 'clean', run: 'mkdir -p ./build && rm -rf ./build' }],
    });
    const { executionId } = await t.stator.execute('safe');
    expect((await t.stator.waitForExecution(executionId)).status).toBe('completed');
  });

  it('waits for an approval a workflow policy requires, then completes', async () => {
    const marker = join(t.files, 'approved');
    await t.stator.registerWorkflow({
      id: 'gated',
      environment: 'production',
      policy: { requireApproval: ['production-without-approval'] },
      steps: [{ id: 'deploy', exec: ['touch', marker] }],
    });
    const { body } = await post('/api/workflows/gated/execute', {});
    const id = body.executionId as string;
    await waitFor(async () => ((await get(id)).status === 'awaiting_approval' ? true : undefined));
    expect((await get(id)).steps.map((s) => [s.id, s.status])).toEqual([
      ['policy-approval', 'running'],
      ['deploy', 'pending'],
    ]);
    expect(existsSync(marker)).toBe(false);
    const approved = await post(`/api/executions/${id}/approve`, { by: 'alice' });
    expect(approved.status).toBe(200);
    expect((await t.stator.waitForExecution(id)).status).toBe('completed');
    expect(existsSync(marker)).toBe(true);
  });

  it('blocks what a workflow deny list names, and maxParallel', async () => {
    await t.stator.registerWorkflow({
      id: 'drop',
      policy: { deny: ['destructive-*'] },
      steps: [{ id: 'drop', exec: ['psql', '-c', 'DROP TABLE users'], timeout: '1m' }],
    });
    const drop = await t.stator.execute('drop');
    expect((await get(drop.executionId)).status).toBe('blocked');
    await t.stator.registerWorkflow({
      id: 'wide',
      policy: { maxParallel: 2 },
      steps: ['a', 'b', 'c'].map((id) => ({ id, noop: true })),
    });
    const wide = await t.stator.execute('wide');
    const run = await get(wide.executionId);
    expect(run.status).toBe('blocked');
    expect(run.error.details!.reasons).toEqual(['3 steps in parallel is over maxParallel 2']);
  });
});

describe('without a global policy', () => {
  const t = useStator({ start: 'suite', policy: null });

  it('does not block', async () => {
    await t.stator.registerWorkflow({
      id: 'wipe',
      steps: [
        { id: 'gate', approval: { message: 'never', timeout: '1h' } },
        { id: 'wipe', needs: 'gate', exec: ['rm', '-rf', '/'] },
      ],
    });
    const { executionId } = await t.stator.execute('wipe');
    await waitFor(async () =>
      (await t.stator.getExecution(executionId)).status === 'awaiting_approval' ? true : undefined,
    );
    await t.stator.approvals.decide(executionId, { approved: false, by: 'bob' });
    expect((await t.stator.waitForExecution(executionId)).status).toBe('failed');
  });
});

/**
 * Approval steps, embedded (SQLite), over HTTP: a run waits `awaiting_approval` (GET and the
 * list filter show it, GET /api/approvals lists it) until approved, then goes on; a rejection
 * fails the step and the run; approvers are enforced (403); a second decision is a 409 naming
 * who decided; a timeout rejects with `by: timeout`; the record keeps who, when and why. Hostile
 * input: a run that is not waiting (409), an unknown id (404), a 1 MB comment (bounded, 413/422).
 * A restart while waiting keeps waiting with the stored deadline; a decision stored right before
 * a restart is not asked again; a deadline that passed while the server was down rejects.
 */
import { describe, expect, it } from 'vitest';
import { createHttpApp } from '../../../src/http/index.ts';
import { waitFor } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

const gate = (over: Record<string, unknown> = {}) => ({
  id: 'gate',
  approval: { message: 'go on?', timeout: '1h', ...over },
});

/** What these tests read of a JSON answer. */
interface Answer {
  items: Array<Record<string, string> & { id: string }>;
  error: { code: string; message: string };
  [field: string]: unknown;
}
const json = async (res: Response | Promise<Response>) => (await (await res).json()) as Answer;

describe('approval steps', () => {
  const t = useStator({
    workflows: [
      {
        id: 'deploy',
        inputs: { version: { default: '1.0' } },
        steps: [
          gate({ message: 'deploy ${{ inputs.version }}?' }),
          { id: 'ship', needs: ['gate'], exec: ['echo', 'by=${{ steps.gate.outputs.by }}'] },
        ],
      },
      {
        id: 'guarded',
        steps: [
          gate({ approvers: ['alice', 'bob'] }),
          { id: 'after', needs: ['gate'], run: 'true' },
        ],
      },
      {
        id: 'brief',
        steps: [gate({ timeout: '300ms' }), { id: 'after', needs: ['gate'], run: 'true' }],
      },
      { id: 'plain', steps: [{ id: 'nap', run: 'sleep 30' }] },
      { id: 'short', steps: [gate({ timeout: '1500ms' })] },
      {
        id: 'whole',
        approval: { message: 'run it all?', timeout: '1h' },
        steps: [
          { id: 'a', run: 'true' },
          { id: 'b', run: 'true' },
        ],
      },
    ],
  });
  const http = () => createHttpApp({ stator: t.stator });
  const post = (path: string, body: unknown) =>
    http().request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const waiting = async (id: string) =>
    waitFor(
      async () =>
        (await t.stator.getExecution(id)).status === 'awaiting_approval' ? true : undefined,
      { timeoutMs: 10_000, message: 'run awaiting approval' },
    );

  it('waits awaiting_approval, is listed, and goes on once approved over HTTP', async () => {
    const { executionId: id } = await t.stator.execute('deploy', { version: '2.3' });
    await waiting(id);
    const filtered = await json(http().request('/api/executions?status=awaiting_approval'));
    expect(filtered.items.map((e: { id: string }) => e.id)).toEqual([id]);
    const list = await json(http().request('/api/approvals'));
    expect(list.items).toEqual([
      expect.objectContaining({
        executionId: id,
        workflowId: 'deploy',
        stepId: 'gate',
        message: 'deploy 2.3?',
        since: expect.any(String),
        deadline: expect.any(String),
      }),
    ]);
    const { since, deadline } = list.items[0]!;
    expect(Date.parse(deadline!) - Date.parse(since!)).toBe(3_600_000);
    const next = await json(http().request('/api/next-actionable'));
    expect(next).toMatchObject({ kind: 'approval', approval: { executionId: id } });

    const res = await post(`/api/executions/${id}/approve`, { by: 'carol', comment: 'looks good' });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({
      executionId: id,
      stepId: 'gate',
      approved: true,
      by: 'carol',
      comment: 'looks good',
    });
    const record = await t.finish(id);
    expect(record.status).toBe('completed');
    const step = record.steps.find((s) => s.id === 'gate')!;
    expect(step.status).toBe('succeeded');
    expect(step.approval?.decision).toMatchObject({
      approved: true,
      by: 'carol',
      comment: 'looks good',
    });
    expect(step.outputs).toMatchObject({ approved: true, by: 'carol' });
    expect(await t.stator.logs(id)).toContain('by=carol');
    const types = t.eventsOf(id).map((e) => e.type);
    expect(types.indexOf('step.awaiting_approval')).toBeGreaterThan(-1);
    expect(types.indexOf('step.approved')).toBeGreaterThan(types.indexOf('step.awaiting_approval'));
    expect((await json(http().request('/api/approvals'))).items).toEqual([]);

    // A second decision: 409 naming who decided.
    const again = await post(`/api/executions/${id}/reject`, { by: 'dave' });
    expect(again.status).toBe(409);
    const body = await json(again);
    expect(body.error.code).toBe('conflict');
    expect(body.error.message).toContain("approved by 'carol'");
  });

  it('a workflow-level gate holds every step until approved', async () => {
    const { executionId: id } = await t.stator.execute('whole');
    await waiting(id);
    const before = await t.stator.getExecution(id);
    expect(before.steps.map((s) => [s.id, s.status])).toEqual([
      ['approval', 'running'],
      ['a', 'pending'],
      ['b', 'pending'],
    ]);
    expect((await post(`/api/executions/${id}/approve`, { by: 'gina' })).status).toBe(200);
    const record = await t.finish(id);
    expect(record.status).toBe('completed');
    expect(record.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('a rejection fails the step and the run, with who and why in the record', async () => {
    const { executionId: id } = await t.stator.execute('deploy');
    await waiting(id);
    const res = await post(`/api/executions/${id}/reject`, { by: 'erin', comment: 'not today' });
    expect(res.status).toBe(200);
    const record = await t.finish(id);
    expect(record.status).toBe('failed');
    const [g, ship] = record.steps;
    expect(g).toMatchObject({ status: 'failed', error: "rejected by 'erin': not today" });
    expect(g!.approval?.decision).toMatchObject({
      approved: false,
      by: 'erin',
      comment: 'not today',
    });
    expect(ship!.status).toBe('skipped');
  });

  it('enforces approvers and refuses a second decision while the first is stored', async () => {
    const { executionId: id } = await t.stator.execute('guarded');
    await waiting(id);
    const stranger = await post(`/api/executions/${id}/approve`, { by: 'mallory' });
    expect(stranger.status).toBe(403);
    expect((await json(stranger)).error.code).toBe('forbidden');
    const anonymous = await post(`/api/executions/${id}/approve`, {});
    expect(anonymous.status).toBe(403);
    // Two at once: exactly one wins.
    const [a, b] = await Promise.all([
      post(`/api/executions/${id}/approve`, { by: 'alice' }),
      post(`/api/executions/${id}/reject`, { by: 'bob' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const record = await t.finish(id);
    expect(record.status).toBe(a.status === 200 ? 'completed' : 'failed');
  });

  it('a timeout rejects with by: timeout', async () => {
    const { record } = await t.run('brief');
    expect(record.status).toBe('failed');
    expect(record.steps[0]!.approval?.decision).toMatchObject({ approved: false, by: 'timeout' });
    expect(record.steps[0]!.error).toMatch(/^approval timed out/);
  });

  it('hostile: not waiting is 409, unknown is 404, a 1 MB comment is bounded', async () => {
    const { executionId: id } = await t.stator.execute('plain');
    await waitFor(async () =>
      (await t.stator.getExecution(id)).status === 'running' ? 1 : undefined,
    );
    const res = await post(`/api/executions/${id}/approve`, { by: 'x' });
    expect(res.status).toBe(409);
    expect((await json(res)).error.message).toContain('not waiting');
    expect((await post('/api/executions/ex_nope/approve', { by: 'x' })).status).toBe(404);
    const { executionId: w } = await t.stator.execute('deploy');
    await waiting(w);
    const big = await post(`/api/executions/${w}/approve`, {
      by: 'x',
      comment: 'y'.repeat(1 << 20),
    });
    expect([413, 422]).toContain(big.status);
    expect((await post(`/api/executions/${w}/approve`, 'not json')).status).toBe(400);
    // Still waiting after all that.
    expect((await t.stator.getExecution(w)).status).toBe('awaiting_approval');
    await t.stator.cancel(w);
    await t.stator.cancel(id);
  });

  it('a restart keeps waiting with the stored deadline; a stored decision is not asked again', async () => {
    const { executionId: id } = await t.stator.execute('deploy');
    await waiting(id);
    const before = (await t.stator.getExecution(id)).steps[0]!.approval!;
    await t.restart();
    await waiting(id);
    const after = (await t.stator.getExecution(id)).steps[0]!.approval!;
    expect(after.deadline).toBe(before.deadline);
    expect(after.since).toBe(before.since);
    expect((await t.stator.approvals.list()).map((a) => a.executionId)).toEqual([id]);
    await t.stator.approvals.decide(id, { approved: true, by: 'frank' });
    const record = await t.finish(id);
    expect(record.status).toBe('completed');
    const asked = t.eventsOf(id).filter((e) => e.type === 'step.awaiting_approval');
    expect(asked).toEqual([]); // not asked again after the restart
  });

  it('a deadline that passed while the server was down rejects at the restart', async () => {
    const { executionId: id } = await t.stator.execute('short');
    await waiting(id);
    const { deadline } = (await t.stator.getExecution(id)).steps[0]!.approval!;
    await t.stator.close();
    await new Promise((resolve) => setTimeout(resolve, 1600));
    await t.restart();
    const record = await t.finish(id);
    expect(record.status).toBe('failed');
    const decision = record.steps[0]!.approval!.decision!;
    expect(decision).toMatchObject({ approved: false, by: 'timeout' });
    expect(Date.parse(decision.at)).toBeGreaterThanOrEqual(Date.parse(deadline));
  });
});

/**
 * `POST /api/plans` against an embedded Stator (SQLite): a registered workflow with `rm -rf /`
 * reports a critical finding; estimates come from the runs of the workflow (p50 of the step's
 * successful durations); an inline document with errors lists all of them; hostile bodies are
 * refused (wrong types 422, both or neither of workflowId/workflow 422, unknown id 404, a
 * document past the step bound is invalid, past the body's input bounds 400).
 */
import { describe, expect, it } from 'vitest';
import { createHttpApp } from '../../../src/http/index.ts';
import type { Plan } from '../../../src/plans/index.ts';
import { useStator } from '../../helpers/use-stator.ts';

describe('POST /api/plans', () => {
  const t = useStator({
    start: 'suite',
    workflows: [
      {
        id: 'wipe',
        defaults: { timeout: '1m' },
        steps: [
          { id: 'prepare', exec: ['true'] },
          { id: 'wipe', needs: 'prepare', exec: ['rm', '-rf', '/'] },
        ],
      },
      {
        id: 'timed',
        inputs: { n: { type: 'number', default: 1 } },
        steps: [
          { id: 'quick', exec: ['true'], timeout: '1m' },
          { id: 'slow', needs: 'quick', run: 'sleep 0.3', timeout: '1m' },
        ],
      },
    ],
  });
  const post = async (body: unknown) => {
    const res = await createHttpApp({ stator: t.stator }).request('/api/plans', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Plan & { code?: string } };
  };

  it('reports rm -rf / of a registered workflow as critical', async () => {
    const { status, body } = await post({ workflowId: 'wipe' });
    expect(status).toBe(200);
    expect(body.valid).toBe(true);
    expect(body.levels).toEqual([['prepare'], ['wipe']]);
    expect(body.findings).toEqual([
      expect.objectContaining({
        severity: 'critical',
        rule: 'destructive-rm-root',
        stepId: 'wipe',
      }),
    ]);
  });

  it('estimates steps from the history of the workflow', async () => {
    const before = await post({ workflowId: 'timed' });
    expect(before.body.steps.map((s) => s.estimateMs)).toEqual([null, null]);
    for (let i = 0; i < 3; i++) {
      const { executionId } = await t.stator.execute('timed', {});
      expect((await t.stator.waitForExecution(executionId)).status).toBe('completed');
    }
    const { body } = await post({ workflowId: 'timed', input: { n: 2 } });
    const slow = body.steps.find((s) => s.id === 'slow')!;
    expect(slow.samples).toBe(3);
    expect(slow.estimateMs).toBeGreaterThanOrEqual(250);
    expect(slow.estimateMs).toBeLessThan(10_000);
    expect(body.criticalPath).toEqual(['quick', 'slow']);
    expect(body.criticalPathMs).toBeGreaterThanOrEqual(slow.estimateMs!);
  });

  it('lists every error of an inline document and its input', async () => {
    const { status, body } = await post({
      workflow: {
        id: 'bad',
        inputs: { x: { type: 'string' } },
        steps: [
          { id: 'a', exec: 'ls' },
          { id: 'b', run: '' },
        ],
      },
    });
    expect(status).toBe(200);
    expect(body.valid).toBe(false);
    expect(body.errors.map((e) => e.path)).toEqual(['steps[0].exec', 'steps[1].run']);
    const inputs = await post({
      workflow: `id: ok\ninputs: {x: {type: string}, y: {type: number}}\nsteps: [{id: a, noop: true}]`,
      input: { y: 'no' },
    });
    expect(inputs.body.valid).toBe(false);
    expect(inputs.body.errors.map((e) => e.path).sort()).toEqual(['input.x', 'input.y']);
  });

  it('refuses hostile bodies', async () => {
    expect((await post({ workflowId: 42 })).status).toBe(422);
    expect((await post({ workflowId: 'wipe', input: [1] })).status).toBe(422);
    expect((await post({ workflowId: 'wipe', workflow: { id: 'x' } })).status).toBe(422);
    expect((await post({})).status).toBe(422);
    expect((await post({ workflowId: 'wipe', extra: 1 })).status).toBe(422);
    expect((await post({ workflowId: 'nope' })).status).toBe(404);
    expect((await post('{"workflowId": ')).status).toBe(400);
    const deep =
      '{"workflow": {"id": "x", "steps": [], "env": ' + '['.repeat(500) + ']'.repeat(500) + '}}';
    expect((await post(deep)).status).toBe(400);
    const many = {
      workflow: {
        id: 'many',
        steps: Array.from({ length: 20_001 }, (_, i) => ({ id: `s${i}`, noop: true })),
      },
    };
    const res = await post(many);
    expect([200, 400, 413]).toContain(res.status);
    if (res.status === 200) expect(res.body.valid).toBe(false);
  });
});

/**
 * Rollback over HTTP with real processes and a SQLite store: each step and each rollback appends
 * a line to a trace file, so the test sees what ran, how often and in which order. A four-step
 * chain whose third step fails rolls back the second then the first; a failing rollback is
 * reported and does not stop the next; a failing verify step rolls back; a retry of a rolled-back
 * run runs the undone steps again.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from '../../../src/http/index.ts';
import { useStator } from '../../helpers/use-stator.ts';

async function trace(dir: string): Promise<string[]> {
  const text = await readFile(join(dir, 'trace'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '');
}

/** a → b → c → d, each with a rollback; c fails until `marker` exists. */
function chain(id: string, dir: string, over: { verify?: boolean } = {}) {
  const log = (line: string) => `echo '${line}' >> '${dir}/trace'`;
  return {
    id,
    steps: [
      { id: 'a', run: log('a'), rollback: { run: log('undo a') } },
      {
        id: 'b',
        needs: 'a',
        run: log('b'),
        rollback: { run: `${log('undo b')}; echo undoing b`, timeout: '10s' },
      },
      {
        id: 'c',
        needs: 'b',
        run: `${log('c')}; ${over.verify ? 'true' : `test -f '${dir}/marker'`}`,
        rollback: { run: log('undo c') },
      },
      { id: 'd', needs: 'c', run: log('d'), rollback: { run: log('undo d') } },
    ],
    ...(over.verify && {
      verify: [{ id: 'check', run: `${log('check')}; test -f '${dir}/marker'` }],
    }),
  };
}

interface DetailStep {
  id: string;
  status: string;
  rollback?: { status: string; attempts: number; error?: string };
}

describe('rollback', () => {
  const t = useStator({ processHost: false, rateLimit: { ratePerSecond: 0 } });
  const http = () => createHttpApp({ stator: t.stator });
  const detail = async (id: string) => {
    const res = await http().request(`/api/executions/${encodeURIComponent(id)}`);
    expect(res.status).toBe(200);
    return (await res.json()) as { status: string; steps: DetailStep[] };
  };

  it('rolls back b then a when c fails; the record shows each rollback; retry re-runs them', async () => {
    const dir = t.files;
    await t.stator.registerWorkflow(chain('four', dir));
    const { record } = await t.run('four', {}, 30_000);
    expect(record.status).toBe('failed');
    expect(await trace(dir)).toEqual(['a', 'b', 'c', 'undo b', 'undo a']);

    const shown = await detail(record.id);
    expect(shown.status).toBe('failed');
    const byId = new Map(shown.steps.map((s) => [s.id, s]));
    expect([...byId.keys()]).toEqual(['a', 'b', 'c', 'd']);
    expect(byId.get('a')).toMatchObject({
      status: 'succeeded',
      rollback: { status: 'rolled_back', attempts: 1 },
    });
    expect(byId.get('b')!.rollback).toMatchObject({ status: 'rolled_back' });
    expect(byId.get('c')).toMatchObject({ status: 'failed' });
    expect(byId.get('c')!.rollback).toBeUndefined();
    expect(byId.get('d')).toMatchObject({ status: 'skipped' });

    // The rollbacks' logs are under <id>:rollback.
    const logs = await t.stator.logs(record.id, { stepId: 'b:rollback' });
    expect(logs).toContain('undoing b');

    // Retry from the failure: a and b were undone, so they run again with c and d.
    await writeFile(join(dir, 'marker'), '');
    const res = await http().request(`/api/executions/${record.id}/retry`, { method: 'POST' });
    expect(res.status).toBe(202);
    const { executionId } = (await res.json()) as { executionId: string };
    const second = await t.finish(executionId, 30_000);
    expect(second.status).toBe('completed');
    expect((await trace(dir)).slice(5)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a failing rollback is rollback_failed and the next still runs', async () => {
    const dir = t.files;
    const steps = chain('undo-fails', dir).steps;
    steps[1] = { ...steps[1]!, rollback: { run: 'echo nope >&2; exit 4' } };
    await t.stator.registerWorkflow({ id: 'undo-fails', steps });
    const { record } = await t.run('undo-fails', {}, 30_000);
    expect(record.status).toBe('failed');
    expect(await trace(dir)).toEqual(['a', 'b', 'c', 'undo a']);
    const byId = new Map((await detail(record.id)).steps.map((s) => [s.id, s]));
    expect(byId.get('b')!.rollback).toMatchObject({ status: 'rollback_failed', attempts: 1 });
    expect(byId.get('b')!.rollback!.error).toBeTruthy();
    expect(byId.get('a')!.rollback).toMatchObject({ status: 'rolled_back' });
  });

  it('GET /api/machines/execution shows rolling_back between running and failed', async () => {
    const res = await http().request('/api/machines/execution?format=mermaid');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('execution_running --> execution_rolling_back : always [runFailed]');
    expect(text).toMatch(/execution_rolling_back --> execution_failed/);
    expect(text).toContain('execution_rolling_back --> execution_cancelled : cancel');
  });

  it('a failing verify step fails the run and rolls back every step', async () => {
    const dir = t.files;
    await t.stator.registerWorkflow(chain('verified', dir, { verify: true }));
    const { record } = await t.run('verified', {}, 30_000);
    expect(record.status).toBe('failed');
    expect(await trace(dir)).toEqual([
      'a',
      'b',
      'c',
      'd',
      'check',
      'undo d',
      'undo c',
      'undo b',
      'undo a',
    ]);
    expect(record.error).toMatchObject({ details: { stepId: 'check' } });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { createStator } from '../../../src/index.ts';
import type { Stator } from '../../../src/runtime/types.ts';
import { createHttpApp } from '../../../src/http/index.ts';
import { dispatch, dispatchReply } from '../../../src/commands/index.ts';
import { parsePrometheusText, type PromText } from '../../helpers/prometheus-text.ts';

const TOKEN = 'test-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };

const FLOW = {
  id: 'metered',
  steps: [
    { id: 'a', run: 'true' },
    { id: 'b', needs: ['a'], run: 'true' },
  ],
};
const FAILING = { id: 'breaks', steps: [{ id: 'x', run: 'exit 3' }] };

describe('GET /metrics and GET /api/statistics', () => {
  let stator: Stator;
  let app: Hono;

  const scrape = async (): Promise<PromText> => {
    const res = await app.request('/metrics', { headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parsePrometheusText(await res.text());
  };
  const execute = async (workflowId: string) => {
    const res = await app.request(`/api/workflows/${workflowId}/execute`, {
      method: 'POST',
      headers: AUTH,
    });
    expect(res.status).toBe(202);
    const { executionId } = (await res.json()) as { executionId: string };
    return stator.waitForExecution(executionId, { timeoutMs: 15_000 });
  };

  beforeAll(async () => {
    stator = await createStator({ store: 'memory', engines: 1, slotsPerEngine: 4 });
    await stator.registerWorkflow(FLOW);
    await stator.registerWorkflow(FAILING);
    app = createHttpApp({ stator, apiToken: TOKEN });
  });
  afterAll(async () => {
    await stator?.close();
  });

  it('needs the API token when one is set', async () => {
    expect((await app.request('/metrics')).status).toBe(401);
    const open = await createStator({ store: 'memory' });
    try {
      const res = await createHttpApp({ stator: open }).request('/metrics');
      expect(res.status).toBe(200);
      parsePrometheusText(await res.text());
    } finally {
      await open.close();
    }
  });

  it('serves valid exposition text with the process metrics and every stator family', async () => {
    const text = await scrape();
    for (const [name, type] of [
      ['stator_commands_total', 'counter'],
      ['stator_command_duration_seconds', 'histogram'],
      ['stator_command_errors_total', 'counter'],
      ['stator_executions_total', 'counter'],
      ['stator_step_duration_seconds', 'histogram'],
      ['stator_active_executions', 'gauge'],
      ['stator_queued_work', 'gauge'],
      ['stator_engine_slots_in_use', 'gauge'],
      ['stator_trigger_fires_total', 'counter'],
      ['stator_trigger_skips_total', 'counter'],
      ['stator_rate_limit_hits_total', 'counter'],
      ['stator_events_dropped_total', 'counter'],
      ['process_cpu_user_seconds_total', 'counter'],
      ['process_resident_memory_bytes', 'gauge'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
    ]) {
      expect(text.types.get(name!), name).toBe(type);
    }
    expect(text.value('stator_engine_slots')).toBe(4);
    expect(text.value('stator_active_executions')).toBe(0);
  });

  it('moves as runs happen: commands, executions by status, step durations', async () => {
    const before = await scrape();
    const executes = before.value('stator_commands_total', { command: 'workflow.execute' }) ?? 0;
    await execute('metered');
    await execute('metered');
    await execute('breaks');
    const missing = await app.request('/api/executions/ex_nope', { headers: AUTH });
    expect(missing.status).toBe(404);
    const after = await scrape();
    expect(after.value('stator_commands_total', { command: 'workflow.execute' })).toBe(
      executes + 3,
    );
    expect(
      after.value('stator_command_duration_seconds_count', { command: 'workflow.execute' }),
    ).toBe(executes + 3);
    expect(
      after.value('stator_command_errors_total', { command: 'execution.get', code: 'not_found' }),
    ).toBe(1);
    expect(
      after.value('stator_executions_total', { workflow: 'metered', status: 'completed' }),
    ).toBe(2);
    expect(after.value('stator_executions_total', { workflow: 'breaks', status: 'failed' })).toBe(
      1,
    );
    expect(
      after.value('stator_step_duration_seconds_count', {
        workflow: 'metered',
        status: 'succeeded',
      }),
    ).toBe(4);
    expect(
      after.value('stator_step_duration_seconds_count', { workflow: 'breaks', status: 'failed' }),
    ).toBe(1);
    expect(after.value('stator_active_executions')).toBe(0);
    expect(after.value('stator_engine_slots_in_use')).toBe(0);
    // Scrapes are commands too (the same command serves stator.api.metrics).
    expect(after.value('stator_commands_total', { command: 'metrics' })).toBeGreaterThanOrEqual(2);
  });

  it('counts commands of the bus front door in the same place', async () => {
    const reply = await dispatchReply(stator, 'health');
    expect(reply.ok).toBe(true);
    const unknown = await dispatchReply(stator, 'no.such.command');
    expect(unknown.ok).toBe(false);
    const text = parsePrometheusText((await dispatch(stator, 'metrics')) as string);
    expect(text.value('stator_commands_total', { command: 'health' })).toBeGreaterThanOrEqual(1);
    expect(
      text.value('stator_command_errors_total', { command: 'unknown', code: 'not_found' }),
    ).toBe(1);
  });

  it('counts the events a stalled subscriber lost', async () => {
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    const sub = stator.subscribe(() => stalled, { bufferSize: 1, name: 'stalled' });
    try {
      await execute('metered');
      const text = await scrape();
      expect(sub.dropped()).toBeGreaterThan(0);
      expect(text.value('stator_events_dropped_total')).toBeGreaterThanOrEqual(sub.dropped());
    } finally {
      release();
      sub.unsubscribe();
    }
  });

  it('keeps two services in one process apart', async () => {
    const other = await createStator({ store: 'memory' });
    try {
      await other.registerWorkflow(FLOW);
      const { executionId } = await other.execute('metered');
      await other.waitForExecution(executionId, { timeoutMs: 15_000 });
      const mine = await scrape();
      const theirs = parsePrometheusText(await other.metrics());
      expect(
        theirs.value('stator_executions_total', { workflow: 'metered', status: 'completed' }),
      ).toBe(1);
      expect(
        mine.value('stator_executions_total', { workflow: 'metered', status: 'completed' }),
      ).toBe(3);
    } finally {
      await other.close();
    }
  });

  it('reports per-workflow statistics over a window', async () => {
    const res = await app.request('/api/statistics?window=1h', { headers: AUTH });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      windowMs: number;
      workflows: Array<Record<string, unknown>>;
    };
    expect(body.windowMs).toBe(3_600_000);
    const metered = body.workflows.find((w) => w.workflowId === 'metered');
    expect(metered).toMatchObject({ runs: 3, finished: 3, successRate: 1 });
    expect(metered!.meanDurationMs).toEqual(expect.any(Number));
    expect(metered!.p95DurationMs).toBeGreaterThanOrEqual(metered!.meanDurationMs as number);
    expect(body.workflows.find((w) => w.workflowId === 'breaks')).toMatchObject({
      runs: 1,
      successRate: 0,
    });
    const one = await app.request('/api/statistics?workflowId=breaks&window=', { headers: AUTH });
    expect(((await one.json()) as { workflows: unknown[] }).workflows).toHaveLength(1);
    for (const window of ['soon', '0s', '30d']) {
      const bad = await app.request(`/api/statistics?window=${window}`, { headers: AUTH });
      expect(bad.status, window).toBe(422);
    }
    expect((await app.request('/api/statistics')).status).toBe(401);
  });
});

describe('the exposition parser used above', () => {
  it('rejects what Prometheus would not read', () => {
    const typed = '# TYPE a counter\n';
    expect(() => parsePrometheusText(`${typed}a 1\n`)).not.toThrow();
    for (const bad of [
      `${typed}a{b="c" 1`,
      `${typed}a one`,
      `${typed}a{b=c} 1`,
      'untyped_sample 1',
      `${typed}# TYPE a gauge\na 1`,
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1',
    ]) {
      expect(() => parsePrometheusText(bad), bad).toThrow();
    }
  });
});

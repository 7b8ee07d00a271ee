import { describe, expect, it } from 'vitest';
import { StatorMetrics, StepTimer, type MetricsSources } from '../../../src/metrics/index.ts';
import type { StampedEvent } from '../../../src/events.ts';
import { parsePrometheusText } from '../../helpers/prometheus-text.ts';

function sources(over: Partial<MetricsSources> = {}): MetricsSources {
  return {
    activeExecutions: () => 2,
    queuedWork: () => 5,
    slotsInUse: () => 3,
    slotsTotal: () => 16,
    eventsDropped: () => 0,
    ...over,
  };
}

let seq = 0;
const T0 = Date.parse('2026-11-22T12:00:00.000Z');
function ev(atMs: number, event: Record<string, unknown>): StampedEvent {
  return {
    ...event,
    ts: new Date(T0 + atMs).toISOString(),
    seq: ++seq,
    source: `execution.${String(event.executionId)}`,
    severity: 'info',
  } as unknown as StampedEvent;
}

const base = { executionId: 'ex_1', workflowId: 'deploy' };

describe('StatorMetrics', () => {
  it('exposes valid Prometheus text with the gauges read at scrape time', async () => {
    let active = 2;
    const m = new StatorMetrics(sources({ activeExecutions: () => active }), {
      processMetrics: false,
    });
    expect(m.contentType).toContain('text/plain; version=0.0.4');
    let text = parsePrometheusText(await m.text());
    expect(text.value('stator_active_executions')).toBe(2);
    expect(text.value('stator_queued_work')).toBe(5);
    expect(text.value('stator_engine_slots_in_use')).toBe(3);
    expect(text.value('stator_engine_slots')).toBe(16);
    expect(text.types.get('stator_step_duration_seconds')).toBe('histogram');
    expect(text.types.has('process_cpu_user_seconds_total')).toBe(false);
    active = 7;
    text = parsePrometheusText(await m.text());
    expect(text.value('stator_active_executions')).toBe(7);
  });

  it('counts commands, their durations and errors by code; rate-limited ones as hits', async () => {
    const m = new StatorMetrics(sources(), { processMetrics: false });
    m.commandHandled('workflow.execute', 0.002);
    m.commandHandled('workflow.execute', 0.3, 'not_found');
    m.commandHandled('health', 0.001, 'rate_limited');
    const text = parsePrometheusText(await m.text());
    expect(text.value('stator_commands_total', { command: 'workflow.execute' })).toBe(2);
    expect(
      text.value('stator_command_duration_seconds_count', { command: 'workflow.execute' }),
    ).toBe(2);
    expect(
      text.value('stator_command_duration_seconds_bucket', {
        command: 'workflow.execute',
        le: '0.005',
      }),
    ).toBe(1);
    expect(
      text.value('stator_command_errors_total', { command: 'workflow.execute', code: 'not_found' }),
    ).toBe(1);
    expect(text.value('stator_rate_limit_hits_total', { scope: 'command' })).toBe(1);
    m.rateLimitHit('session');
    expect(
      parsePrometheusText(await m.text()).value('stator_rate_limit_hits_total', {
        scope: 'session',
      }),
    ).toBe(1);
  });

  it('counts final runs and times step attempts from the event stream', async () => {
    const m = new StatorMetrics(sources(), { processMetrics: false });
    const step = { ...base, stepId: 'build' };
    m.observeEvent(ev(0, { type: 'execution.started', ...base }));
    m.observeEvent(ev(0, { type: 'step.started', ...step, attempt: 1 }));
    m.observeEvent(ev(400, { type: 'step.retrying', ...step, attempt: 1, delayMs: 1, error: 'x' }));
    m.observeEvent(ev(500, { type: 'step.started', ...step, attempt: 2 }));
    m.observeEvent(ev(2500, { type: 'step.completed', ...step, attempt: 2, exitCode: 0 }));
    // An end without a known start is not timed (e.g. a run adopted after a restart).
    m.observeEvent(ev(2600, { type: 'step.failed', ...base, stepId: 'other', attempt: 1 }));
    m.observeEvent(
      ev(3000, { type: 'execution.completed', ...base, status: 'completed', durationMs: 3000 }),
    );
    m.observeEvent(
      ev(3000, { type: 'execution.failed', ...base, executionId: 'ex_2', status: 'failed' }),
    );
    m.observeEvent(ev(3000, { type: 'engine.status', engineId: 'e1' }));
    const text = parsePrometheusText(await m.text());
    expect(text.value('stator_executions_total', { workflow: 'deploy', status: 'completed' })).toBe(
      1,
    );
    expect(text.value('stator_executions_total', { workflow: 'deploy', status: 'failed' })).toBe(1);
    const step2 = { workflow: 'deploy', status: 'succeeded' };
    expect(text.value('stator_step_duration_seconds_count', step2)).toBe(1);
    expect(text.value('stator_step_duration_seconds_sum', step2)).toBeCloseTo(2, 6);
    expect(
      text.value('stator_step_duration_seconds_sum', { workflow: 'deploy', status: 'retrying' }),
    ).toBeCloseTo(0.4, 6);
    expect(
      text.value('stator_step_duration_seconds_count', { workflow: 'deploy', status: 'failed' }),
    ).toBeUndefined();
    expect(
      text.value('stator_execution_duration_seconds_sum', {
        workflow: 'deploy',
        status: 'completed',
      }),
    ).toBe(3);
    // No execution id ever becomes a label.
    expect(text.samples.some((s) => Object.values(s.labels).some((v) => v.startsWith('ex_')))).toBe(
      false,
    );
  });

  it('counts trigger fires and skips from the registry, not from trigger events', async () => {
    const m = new StatorMetrics(sources(), { processMetrics: false });
    const trigger = { triggerId: 'nightly-cron-0', workflowId: 'nightly', kind: 'cron' };
    // The registry both emits these and calls the counters: the events must not count again.
    m.observeEvent(ev(0, { type: 'trigger.fired', ...trigger, executionId: 'ex_9' }));
    m.observeEvent(ev(0, { type: 'trigger.skipped', ...trigger, reason: 'overlap' }));
    m.triggerFired('nightly', 'cron');
    m.triggerFired('nightly', 'cron');
    m.triggerSkipped('nightly', 'overlap');
    const text = parsePrometheusText(await m.text());
    expect(text.value('stator_trigger_fires_total', { workflow: 'nightly', trigger: 'cron' })).toBe(
      2,
    );
    expect(
      text.value('stator_trigger_skips_total', { workflow: 'nightly', reason: 'overlap' }),
    ).toBe(1);
  });

  it('follows the monitor drop total as a counter that never goes down', async () => {
    let dropped = 0;
    const m = new StatorMetrics(sources({ eventsDropped: () => dropped }), {
      processMetrics: false,
    });
    const read = async () =>
      parsePrometheusText(await m.text()).value('stator_events_dropped_total');
    expect(await read()).toBe(0);
    dropped = 12;
    expect(await read()).toBe(12);
    dropped = 15;
    expect(await read()).toBe(15);
    expect(await read()).toBe(15);
  });

  it('keeps one registry per instance and adds process metrics at the first scrape', async () => {
    const a = new StatorMetrics(sources());
    const b = new StatorMetrics(sources());
    a.commandHandled('health', 0.001);
    const textA = parsePrometheusText(await a.text());
    const textB = parsePrometheusText(await b.text());
    expect(textA.value('stator_commands_total', { command: 'health' })).toBe(1);
    expect(textB.value('stator_commands_total', { command: 'health' })).toBeUndefined();
    for (const t of [textA, textB]) {
      expect(t.types.get('process_cpu_user_seconds_total')).toBe('counter');
      expect(t.types.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    }
    expect(a.registry).not.toBe(b.registry);
  });
});

describe('StepTimer', () => {
  it('forgets the oldest run beyond its bound', () => {
    const timer = new StepTimer(2);
    timer.start('r1', 's', 1);
    timer.start('r2', 's', 2);
    timer.start('r3', 's', 3);
    expect(timer.size).toBe(2);
    expect(timer.end('r1', 's')).toBeUndefined();
    expect(timer.end('r3', 's')).toBe(3);
    expect(timer.end('r3', 's')).toBeUndefined();
    timer.forget('r2');
    expect(timer.size).toBe(1);
  });
});

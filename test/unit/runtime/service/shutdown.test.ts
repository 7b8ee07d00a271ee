import { describe, expect, it } from 'vitest';
import pino from 'pino';
import {
  Shutdown,
  type Engine,
  type ShutdownContext,
} from '../../../../src/runtime/service/index.ts';
import type { RunningStep } from '../../../../src/runtime/service/shutdown.ts';
import { EventPipeline } from '../../../../src/runtime/event-pipeline.ts';
import { ExecutionRecorder } from '../../../../src/runtime/execution-recorder.ts';
import { createMemoryBus } from '../../../../src/bus/index.ts';
import { createMemoryStore, pendingStep } from '../../../../src/store/index.ts';
import { systemClock } from '../../../../src/clock.ts';
import type { StampedEvent } from '../../../../src/events.ts';

/** An engine that records what it is sent and stops on `stop` (never on its own). */
function fakeEngine(steps: string[]): Engine {
  let status = 'active';
  const done: Array<() => void> = [];
  const actor = {
    getSnapshot: () => ({ status }),
    send: (event: { type: string }) => {
      steps.push(`engine.${event.type}`);
      if (event.type === 'stop') {
        status = 'done';
        for (const d of done.splice(0)) d();
      }
    },
    subscribe: (o: { complete: () => void }) => void done.push(o.complete),
  };
  return { id: 'e1', slots: 1, actor: actor as never };
}

interface Fakes {
  steps: string[];
  emitted: Array<{ type: string; stepId?: string }>;
  ctx: ShutdownContext;
  /** Resolves `host.closed` (the fake host closes when told to). */
  hostClosed: Promise<unknown>;
}

function fakes(options: { host: boolean; graceMs?: number; running?: RunningStep[] }): Fakes {
  const steps: string[] = [];
  const emitted: Fakes['emitted'] = [];
  const step = (name: string) => () => void steps.push(name);
  const later = (name: string) => async () => void steps.push(name);
  let closeHost!: (err: unknown) => void;
  const hostClosed = new Promise((resolve) => (closeHost = resolve));
  let frozen = false;
  const ctx: ShutdownContext = {
    stopIntake: step('intake'),
    triggers: { close: step('triggers') },
    sessions: {
      close: async (o) => void steps.push(o?.stopProcesses ? 'sessions.stop' : 'sessions'),
    },
    queue: { close: later('queue') },
    engines: [fakeEngine(steps)],
    graceMs: options.graceMs ?? 60_000,
    runner: { killAll: later('kill') },
    runningSteps: () => options.running ?? [],
    pipeline: {
      drain: later('drain'),
      stopTimers: step('timers'),
      freeze: () => {
        frozen = true;
        steps.push('freeze');
      },
      emitExecution: (e) => {
        if (frozen) throw new Error(`${e.type} emitted after the freeze`);
        emitted.push(e);
        steps.push(e.type);
      },
    },
    monitor: { stop: step('monitor') },
    clock: systemClock,
    release: later('release'),
    logger: pino({ level: 'silent' }),
  };
  if (options.host) {
    ctx.host = {
      close: () => {
        steps.push('host.close');
        closeHost(new Error('closed'));
      },
      closed: hostClosed as never,
    };
  }
  return { steps, emitted, ctx, hostClosed };
}

const running: RunningStep[] = [
  { executionId: 'ex1', workflowId: 'wf', stepId: 'a', attempt: 1, lostAttempts: 0 },
  { executionId: 'ex2', workflowId: 'wf', stepId: 'b', attempt: 2, lostAttempts: 1 },
];

describe('Shutdown', () => {
  it('stops intake first and releases the seams last, once however often it is asked', async () => {
    const { steps, ctx } = fakes({ host: false, graceMs: 10 });
    const shutdown = new Shutdown(ctx);
    expect(shutdown.closing).toBe(false);
    expect(() => shutdown.assertOpen()).not.toThrow();
    const first = shutdown.close();
    expect(shutdown.close()).toBe(first);
    expect(shutdown.closing).toBe(true);
    expect(() => shutdown.assertOpen()).toThrow(
      expect.objectContaining({ code: 'shutting_down', recoverable: true }),
    );
    await first;
    // Closed: no longer shutting down, just unavailable.
    expect(() => shutdown.assertOpen()).toThrow(expect.objectContaining({ code: 'unavailable' }));
    expect(steps[0]).toBe('intake');
    expect(steps.at(-1)).toBe('release');
    expect(steps.filter((s) => s === 'release')).toHaveLength(1);
    expect(steps.indexOf('kill')).toBeLessThan(steps.indexOf('drain'));
    expect(steps.indexOf('drain')).toBeLessThan(steps.indexOf('monitor'));
  });

  it('with a host: persists, freezes, detaches, then stops the actors; no drain wait, no kill', async () => {
    const { steps, ctx } = fakes({ host: true, graceMs: 60_000, running });
    const shutdown = new Shutdown(ctx);
    const t0 = Date.now();
    await shutdown.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(steps).toEqual([
      'intake',
      'triggers',
      'queue',
      'drain', // what is in flight reaches the store
      'sessions', // sessions detach while the connection is open
      'freeze', // nothing a dying actor reports is stored from here on
      'host.close', // before the actors stop: their aborts cannot reach the host
      'engine.stop',
      'drain',
      'timers',
      'monitor',
      'release',
    ]);
  });

  it('answers shutting_down with a Retry-After of at least a second, or the grace left', () => {
    const host = new Shutdown(fakes({ host: true }).ctx);
    void host.close();
    expect(() => host.assertOpen()).toThrow(
      expect.objectContaining({ code: 'shutting_down', details: { retryAfterMs: 1000 } }),
    );
    const drain = new Shutdown(fakes({ host: false, graceMs: 5000 }).ctx);
    const closing = drain.close({ stopProcesses: true });
    let error: { details: { retryAfterMs: number } } | undefined;
    try {
      drain.assertOpen();
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.details.retryAfterMs).toBeGreaterThan(4000);
    expect(error?.details.retryAfterMs).toBeLessThanOrEqual(5000);
    return closing;
  });

  it('stopping processes with a host: marks running steps interrupted, stored, then kills', async () => {
    const { steps, emitted, ctx } = fakes({ host: true, running });
    await new Shutdown(ctx).close({ stopProcesses: true });
    expect(emitted).toMatchObject([
      { type: 'step.interrupted', stepId: 'a', attempt: 1, exitCode: null, lostAttempts: 1 },
      { type: 'step.interrupted', stepId: 'b', attempt: 2, exitCode: null, lostAttempts: 2 },
    ]);
    expect(steps).toEqual([
      'intake',
      'triggers',
      'queue',
      'drain',
      'step.interrupted',
      'step.interrupted',
      'drain', // the marks are stored before anything stops
      'freeze',
      'engine.stop', // the connection is open: the aborts cancel the processes through the host
      'kill', // and their exits are awaited
      'sessions.stop',
      'drain',
      'timers',
      'monitor',
      'release', // shuts the host down, which now holds nothing running
    ]);
  });

  it('without a host, a second close with stopProcesses cuts the drain short and marks steps', async () => {
    const { steps, emitted, ctx } = fakes({ host: false, graceMs: 60_000, running });
    const shutdown = new Shutdown(ctx);
    const first = shutdown.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(steps).toContain('engine.drain');
    expect(steps).not.toContain('engine.stop');
    const t0 = Date.now();
    expect(shutdown.close({ stopProcesses: true })).toBe(first);
    await first;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(emitted.map((e) => e.stepId)).toEqual(['a', 'b']);
    expect(steps.indexOf('freeze')).toBeLessThan(steps.indexOf('engine.stop'));
    expect(steps.indexOf('engine.stop')).toBeLessThan(steps.indexOf('kill'));
  });

  it('a stop asked for after the processes were left to the host changes nothing', async () => {
    const { steps, emitted, ctx, hostClosed } = fakes({ host: true, running });
    const shutdown = new Shutdown(ctx);
    const first = shutdown.close();
    await hostClosed;
    expect(shutdown.close({ stopProcesses: true })).toBe(first);
    await first;
    expect(emitted).toEqual([]);
    expect(steps).not.toContain('kill');
  });
});

describe('EventPipeline.freeze', () => {
  it('stores and publishes what came before, and nothing after', async () => {
    const store = createMemoryStore();
    const definition = { id: 'wf', steps: [{ id: 'a', kind: 'run', run: 'true' }] } as never;
    const record = {
      id: 'ex1',
      workflowId: 'wf',
      status: 'running' as const,
      input: {},
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      error: null,
      engineId: null,
      node: null,
      definition,
      steps: [pendingStep('a')],
    };
    await store.createExecution(record);
    const recorder = new ExecutionRecorder(store, systemClock);
    recorder.track(record);
    const published: StampedEvent[] = [];
    const bus = createMemoryBus();
    const pipeline = new EventPipeline({
      bus,
      store,
      recorder,
      sink: { publish: (e) => void published.push(e) },
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      onFinal: () => undefined,
    });
    const base = { executionId: 'ex1', workflowId: 'wf', stepId: 'a', attempt: 1 };
    pipeline.emitExecution({ type: 'step.started', ...base });
    pipeline.emitExecution({ type: 'step.stdout', ...base, line: 'before' });
    expect(pipeline.frozen).toBe(false);
    pipeline.freeze();
    expect(pipeline.frozen).toBe(true);
    pipeline.emitExecution({ type: 'step.stdout', ...base, line: 'after' });
    pipeline.emitExecution({ type: 'step.cancelled', ...base, exitCode: null, error: 'x' });
    pipeline.emitExecution({
      type: 'execution.cancelled',
      executionId: 'ex1',
      workflowId: 'wf',
      status: 'cancelled',
    } as never);
    pipeline.emit('engine', 'e1', { type: 'engine.stopped' } as never);
    await pipeline.drain();
    const stored = await store.getExecution('ex1');
    expect(stored?.status).toBe('running');
    expect(stored?.steps[0]?.status).toBe('running');
    expect((await store.getLogs('ex1')).lines.map((l) => l.line)).toEqual(['before']);
    expect(published.map((e) => e.type)).toEqual(['step.started', 'step.stdout']);
    await bus.close();
  });
});

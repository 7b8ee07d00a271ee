import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Shutdown, type ShutdownContext } from '../../../../src/runtime/service/index.ts';

function context(steps: string[]): ShutdownContext {
  const step = (name: string) => () => void steps.push(name);
  const later = (name: string) => async () => void steps.push(name);
  return {
    stopIntake: step('intake'),
    triggers: { close: step('triggers') },
    sessions: { close: later('sessions') },
    queue: { close: later('queue') },
    engines: [],
    graceMs: 10,
    runner: { killAll: later('kill') },
    pipeline: { drain: later('drain'), stopTimers: step('timers') },
    monitor: { stop: step('monitor') },
    release: later('release'),
    logger: pino({ level: 'silent' }),
  };
}

describe('Shutdown', () => {
  it('stops intake first and releases the seams last, once however often it is asked', async () => {
    const steps: string[] = [];
    const shutdown = new Shutdown(context(steps));
    expect(shutdown.closing).toBe(false);
    expect(() => shutdown.assertOpen()).not.toThrow();
    const first = shutdown.close();
    expect(shutdown.close()).toBe(first);
    expect(shutdown.closing).toBe(true);
    expect(() => shutdown.assertOpen()).toThrow(expect.objectContaining({ code: 'unavailable' }));
    await first;
    expect(steps[0]).toBe('intake');
    expect(steps.at(-1)).toBe('release');
    expect(steps.filter((s) => s === 'release')).toHaveLength(1);
    expect(steps.indexOf('kill')).toBeLessThan(steps.indexOf('drain'));
    expect(steps.indexOf('drain')).toBeLessThan(steps.indexOf('monitor'));
  });
});

/**
 * `stator watch` on a terminal: the run line shows the run's status as its record would, whatever
 * execution events arrive (progress, pause, resume and rollback events are not statuses).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WatchView } from '../../../src/cli/remote/watch-view.ts';

afterEach(() => {
  vi.useRealTimers();
});

/** The run line of the last frame drawn. */
function runLine(out: string[]): string {
  // A frame starts by moving up over the previous one and clearing it (ESC [ n F, ESC [ J).
  const frame = out.at(-1)!.split('\u001b[J').at(-1)!;
  return frame.split('\n')[0]!;
}

describe('WatchView', () => {
  it('shows the status the events leave the run in, never an event name', () => {
    vi.useFakeTimers();
    const out: string[] = [];
    const view = new WatchView(true, (t) => out.push(t));
    const state = { id: 'ex1', workflowId: 'wf', status: 'pending', steps: [] };
    view.start({ ...state, startedAt: null, finishedAt: null, error: null }, ['a']);
    const seen: string[] = [];
    const events = [
      'execution.started',
      'execution.progress',
      'execution.paused',
      'execution.progress',
      'execution.resumed',
      'execution.rolling_back',
      'execution.progress',
      'execution.failed',
    ];
    for (const type of events) {
      view.apply({ type, executionId: 'ex1' } as Parameters<WatchView['apply']>[0]);
      vi.advanceTimersByTime(1000);
      seen.push(runLine(out));
    }
    expect(seen.map((l) => l.split(/\s+/).at(-1))).toEqual([
      'running',
      'running',
      '(paused)',
      '(paused)',
      'running',
      'rolling_back',
      'rolling_back',
      'failed',
    ]);
  });
});

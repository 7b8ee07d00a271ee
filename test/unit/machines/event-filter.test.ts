import { describe, expect, it } from 'vitest';
import { matchesFilter } from '../../../machines/event-filter.ts';
import type { StampedEvent } from '../../../src/events.ts';
import type { EventFilter } from '../../../src/runtime/types.ts';

let seq = 0;
function stamped(event: Record<string, unknown>, source: string, severity = 'info'): StampedEvent {
  return {
    ts: '2026-01-01T00:00:00.000Z',
    seq: ++seq,
    source,
    severity,
    ...event,
  } as unknown as StampedEvent;
}

const started = stamped(
  { type: 'step.started', executionId: 'x1', workflowId: 'wf', stepId: 'a', attempt: 1 },
  'execution.x1',
);
const failed = stamped(
  {
    type: 'step.failed',
    executionId: 'x2',
    workflowId: 'other',
    stepId: 'b',
    attempt: 1,
    exitCode: 1,
    error: 'boom',
  },
  'execution.x2',
  'error',
);
const engine = stamped(
  { type: 'engine.status', engineId: 'e1', status: 'idle', slots: 2, busy: 0, queued: 0 },
  'engine.e1',
);
const rejected = stamped(
  { type: 'engine.rejected', engineId: 'e1', executionId: 'x1', reason: 'full' },
  'engine.e1',
  'warning',
);
const all = [started, failed, engine, rejected];

function pick(filter: EventFilter): StampedEvent[] {
  return all.filter((e) => matchesFilter(filter, e));
}

describe('matchesFilter', () => {
  it('an empty filter matches everything', () => {
    expect(pick({})).toEqual(all);
  });

  it('filters by executionId, including events that carry one from another kind', () => {
    expect(pick({ executionId: 'x1' })).toEqual([started, rejected]);
  });

  it('filters by workflowId; events without one never match', () => {
    expect(pick({ workflowId: 'wf' })).toEqual([started]);
  });

  it('filters by actor kind and id from the source address', () => {
    expect(pick({ kind: 'engine' })).toEqual([engine, rejected]);
    expect(pick({ kind: 'execution', id: 'x2' })).toEqual([failed]);
    expect(pick({ id: 'e1' })).toEqual([engine, rejected]);
    expect(pick({ kind: 'session' })).toEqual([]);
  });

  it('keeps ids that contain dots intact', () => {
    const dotted = stamped(
      { type: 'execution.started', executionId: 'a.b', workflowId: 'w' },
      'execution.a.b',
    );
    expect(matchesFilter({ kind: 'execution', id: 'a.b' }, dotted)).toBe(true);
    expect(matchesFilter({ id: 'b' }, dotted)).toBe(false);
  });

  it('matches an exact type, or a prefix ending in a dot', () => {
    expect(pick({ type: 'step.failed' })).toEqual([failed]);
    expect(pick({ type: 'step.' })).toEqual([started, failed]);
    expect(pick({ type: 'engine.' })).toEqual([engine, rejected]);
    // Without the trailing dot a prefix is not a prefix.
    expect(pick({ type: 'step' as never })).toEqual([]);
  });

  it('applies a minimum severity', () => {
    expect(pick({ severity: 'info' })).toEqual(all);
    expect(pick({ severity: 'warning' })).toEqual([failed, rejected]);
    expect(pick({ severity: 'error' })).toEqual([failed]);
    expect(pick({ severity: 'critical' })).toEqual([]);
  });

  it('requires every field it sets', () => {
    expect(pick({ kind: 'engine', severity: 'warning' })).toEqual([rejected]);
    expect(pick({ executionId: 'x1', type: 'step.' })).toEqual([started]);
    expect(pick({ executionId: 'x1', kind: 'engine', type: 'engine.status' })).toEqual([]);
  });
});

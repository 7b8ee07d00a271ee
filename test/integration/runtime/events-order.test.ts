/**
 * `waitForExecution` (and `cancel`) resolve only after the run's final events have reached the
 * in-process subscribers: a library user who awaits the run and then looks at what its listener
 * got (or unsubscribes) sees the last `step.*` events and the run's final event. Every check is
 * made right after the await, with no extra turn of the event loop.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStator, type Stator } from '../../../src/index.ts';
import type { StampedEvent } from '../../../src/events.ts';

const TRIALS = 20;

/** `type` or `type:stepId` of each event of one run, in the order the listener got them. */
function trail(events: StampedEvent[], executionId: string): string[] {
  return events
    .filter((e) => (e as { executionId?: string }).executionId === executionId)
    .map((e) => {
      const stepId = (e as { stepId?: string }).stepId;
      return stepId ? `${e.type}:${stepId}` : e.type;
    });
}

describe('runtime: final events reach subscribers before the run is reported finished', () => {
  let stator: Stator;

  beforeEach(async () => {
    stator = await createStator({ store: 'memory' });
    await stator.registerWorkflow({
      id: 'pair',
      steps: [
        { id: 'a', noop: true },
        { id: 'b', needs: ['a'], exec: ['true'] },
      ],
    });
    await stator.registerWorkflow({ id: 'nap', steps: [{ id: 'z', sleep: '30s' }] });
  });
  afterEach(async () => {
    await stator.close();
  });

  it('waitForExecution resolves after a plain listener got step.completed and execution.completed', async () => {
    const seen: StampedEvent[] = [];
    stator.subscribe((e) => void seen.push(e));
    for (let i = 0; i < TRIALS; i++) {
      const { executionId } = await stator.execute('pair');
      await stator.waitForExecution(executionId, { timeoutMs: 10_000 });
      const got = trail(seen, executionId);
      expect(got).toContain('step.completed:a');
      expect(got).toContain('step.completed:b');
      expect(got.at(-1)).toBe('execution.completed');
    }
  });

  it('an unsubscribe right after the wait loses nothing of the run', async () => {
    for (let i = 0; i < TRIALS; i++) {
      const seen: StampedEvent[] = [];
      const { executionId } = await stator.execute('pair');
      const sub = stator.subscribe((e) => void seen.push(e), { filter: { executionId } });
      await stator.waitForExecution(executionId, { timeoutMs: 10_000 });
      sub.unsubscribe();
      expect(trail(seen, executionId).at(-1)).toBe('execution.completed');
    }
  });

  it('a listener that returns a promise gets the final event too', async () => {
    const seen: StampedEvent[] = [];
    stator.subscribe(async (e) => {
      await Promise.resolve();
      seen.push(e);
    });
    for (let i = 0; i < TRIALS; i++) {
      const { executionId } = await stator.execute('pair');
      await stator.waitForExecution(executionId, { timeoutMs: 10_000 });
      expect(trail(seen, executionId).at(-1)).toBe('execution.completed');
    }
  });

  it('waits for subscribers whose filter takes the run, not for the others', async () => {
    const runs: StampedEvent[] = [];
    const sessions: StampedEvent[] = [];
    stator.subscribe((e) => void sessions.push(e), { filter: { kind: 'session' } });
    stator.subscribe((e) => void runs.push(e), { filter: { type: 'execution.' } });
    const { executionId } = await stator.execute('pair');
    await stator.waitForExecution(executionId, { timeoutMs: 10_000 });
    // `execution.progress` (as steps start and settle) goes between the lifecycle events.
    const trailed = trail(runs, executionId);
    expect(trailed.filter((t) => t !== 'execution.progress')).toEqual([
      'execution.queued',
      'execution.started',
      'execution.completed',
    ]);
    expect(trailed.at(-2)).toBe('execution.progress');
    expect(sessions).toEqual([]);
  });

  it('cancel resolves after the listener got execution.cancelled', async () => {
    const seen: StampedEvent[] = [];
    stator.subscribe((e) => void seen.push(e));
    const { executionId } = await stator.execute('nap');
    while (!trail(seen, executionId).includes('step.started:z')) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await stator.cancel(executionId);
    expect(trail(seen, executionId).at(-1)).toBe('execution.cancelled');
  });

  it('a stuck subscriber neither holds up the wait nor the engine, and loses only its own events', async () => {
    // Its listener never settles: everything after the first event waits in its bounded buffer.
    const stuck = stator.subscribe(() => new Promise<void>(() => {}), { bufferSize: 4 });
    const seen: StampedEvent[] = [];
    stator.subscribe((e) => void seen.push(e));
    for (let i = 0; i < TRIALS; i++) {
      const { executionId } = await stator.execute('pair');
      const record = await stator.waitForExecution(executionId, { timeoutMs: 10_000 });
      expect(record.status).toBe('completed');
      expect(trail(seen, executionId).at(-1)).toBe('execution.completed');
    }
    expect(stuck.dropped()).toBeGreaterThan(0);
  });
});

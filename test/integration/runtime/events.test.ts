import { describe, expect, it } from 'vitest';
import type { StampedEvent } from '../../../src/events.ts';
import { latch } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

describe('runtime: event delivery to subscribers', () => {
  const t = useStator({
    store: 'memory',
    workflows: [{ id: 'quick', steps: [{ id: 'only', run: 'echo hi' }] }],
  });

  it('filters by execution and type prefix', async () => {
    const { stator } = t;
    const steps: StampedEvent[] = [];
    const stepDone = latch(1);
    const { executionId } = await stator.execute('quick');
    const sub = stator.subscribe(
      (e) => {
        steps.push(e);
        if (e.type === 'step.completed') stepDone.countDown();
      },
      { filter: { executionId, type: 'step.' } },
    );
    await stator.waitForExecution(executionId, { timeoutMs: 10_000 });
    // Published by now, but delivered on the subscriber's own turn.
    await stepDone.wait();
    sub.unsubscribe();
    expect(steps.map((e) => e.type)).toEqual(['step.started', 'step.stdout', 'step.completed']);
    expect(steps.every((e) => e.source === `execution.${executionId}`)).toBe(true);
    expect(sub.dropped()).toBe(0);
  });

  it('close() still hands subscribers the events published before it', async () => {
    const { stator } = t;
    const seen: string[] = [];
    stator.subscribe((e) => seen.push(e.type));
    const { executionId } = await stator.execute('quick');
    await stator.waitForExecution(executionId, { timeoutMs: 10_000 });
    // The run's final event is published (waitForExecution resolved after it): a subscriber
    // must get it even when the service closes right away, as a CLI does after a run.
    await stator.close();
    expect(seen).toContain('step.completed');
    expect(seen).toContain('execution.completed');
  });
});

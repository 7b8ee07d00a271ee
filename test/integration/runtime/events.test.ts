import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStator, type Stator } from '../../../src/index.ts';
import type { StampedEvent } from '../../../src/events.ts';
import { tempDir } from '../../helpers/stator.ts';

describe('runtime: event delivery to subscribers', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let stator: Stator;

  beforeEach(async () => {
    dir = await tempDir('stator-rt-events-');
    stator = await createStator({ dataDir: dir.path, store: 'memory' });
    await stator.registerWorkflow({ id: 'quick', steps: [{ id: 'only', run: 'echo hi' }] });
  });
  afterEach(async () => {
    await stator.close();
    await dir.remove();
  });

  it('filters by execution and type prefix', async () => {
    const steps: StampedEvent[] = [];
    const { executionId } = await stator.execute('quick');
    const sub = stator.subscribe((e) => steps.push(e), { filter: { executionId, type: 'step.' } });
    await stator.waitForExecution(executionId, { timeoutMs: 10_000 });
    await new Promise((r) => setImmediate(r));
    sub.unsubscribe();
    expect(steps.map((e) => e.type)).toEqual(['step.started', 'step.stdout', 'step.completed']);
    expect(steps.every((e) => e.source === `execution.${executionId}`)).toBe(true);
    expect(sub.dropped()).toBe(0);
  });

  it('close() still hands subscribers the events published before it', async () => {
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

/**
 * The one cron test on the wall clock (croner's timers, the default scheduler): a `*\/1 * * * * *`
 * workflow whose run takes 1.5 s fires every second; under `overlap: skip` (the default) the
 * ticks that come while a run is going are skipped, so no two runs ever overlap.
 */
import { describe, expect, it } from 'vitest';
import type { StampedEvent, TriggerEvent } from '../../../src/events.ts';
import { waitFor } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

type Fired = StampedEvent & Extract<TriggerEvent, { type: 'trigger.fired' }>;

describe('cron on the wall clock', () => {
  const h = useStator();

  it('fires every second and skip never lets two runs overlap', async () => {
    await h.stator.registerWorkflow({
      id: 'every-second',
      triggers: [{ cron: { schedule: '*/1 * * * * *' } }],
      // The run must outlast a tick: that is what the skip policy is tested on.
      steps: [{ id: 'slow', run: 'sleep 1.5' }],
    });
    const fired = () => h.events.filter((e): e is Fired => e.type === 'trigger.fired');
    await waitFor(() => fired().length >= 3, { timeoutMs: 15_000, message: 'three fires' });
    await h.stator.pauseTrigger('every-second-cron-0');
    const [first, , third] = fired();
    // A 1.5 s run spans the next tick: fires land every other second (one more under load).
    expect(Date.parse(third!.scheduledAt) - Date.parse(first!.scheduledAt)).toBeLessThanOrEqual(
      5000,
    );
    for (const e of fired()) {
      expect(Date.parse(e.scheduledAt) % 1000).toBe(0);
      // Fired within a second of its tick, even on a loaded machine.
      expect(Date.parse(e.ts) - Date.parse(e.scheduledAt)).toBeLessThan(1000);
    }
    const skipped = h.events.filter((e) => e.type === 'trigger.skipped');
    expect(skipped.length).toBeGreaterThanOrEqual(1);
    expect(skipped.every((e) => (e as { reason?: string }).reason === 'overlap')).toBe(true);

    const runs = await Promise.all(fired().map((e) => h.finish(e.executionId, 20_000)));
    expect(runs.every((r) => r.status === 'completed')).toBe(true);
    const sorted = runs.sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!));
    for (let i = 1; i < sorted.length; i++) {
      expect(Date.parse(sorted[i]!.startedAt!)).toBeGreaterThanOrEqual(
        Date.parse(sorted[i - 1]!.finishedAt!),
      );
    }
    const all = await h.stator.listExecutions({ workflowId: 'every-second' });
    expect(all.items).toHaveLength(fired().length);
  }, 30_000);
});

import { describe, expect, it, vi } from 'vitest';
import { LiveExecutions } from '../../../src/runtime/live-executions.ts';
import type { ExecutionRecord } from '../../../src/store/index.ts';

function live(id: string) {
  const record = {
    id,
    workflowId: 'wf',
    status: 'running',
    steps: [],
  } as unknown as ExecutionRecord;
  return { record, definition: {} as never, inputs: {} };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('LiveExecutions', () => {
  it('wakes waiters at once when nothing is left to deliver', async () => {
    const delivered = vi.fn(() => undefined);
    const runs = new LiveExecutions({ delivered });
    runs.add(live('a'));
    const ended = runs.waitFor('a');
    runs.finish('a', () => ({ id: 'a' }) as ExecutionRecord);
    expect(runs.get('a')).toBeUndefined();
    await expect(ended).resolves.toEqual({ id: 'a' });
    expect(runs.settling('a')).toBeUndefined();
  });

  it('asks for delivery only when someone waits', () => {
    const delivered = vi.fn(() => Promise.resolve());
    const runs = new LiveExecutions({ delivered });
    runs.add(live('a'));
    runs.finish('a');
    expect(delivered).not.toHaveBeenCalled();
  });

  it('frees the run at once but wakes waiters only after delivery, with records built at finish', async () => {
    let deliver!: () => void;
    const runs = new LiveExecutions({ delivered: () => new Promise((r) => (deliver = r)) });
    runs.add(live('a'));
    const woke: unknown[] = [];
    void runs.waitFor('a').then((r) => woke.push(r));
    void runs.waitFor('a').then((r) => woke.push(r));
    let built = 0;
    runs.finish('a', () => ({ id: 'a', n: ++built }) as unknown as ExecutionRecord);
    expect(built).toBe(2);
    expect(runs.get('a')).toBeUndefined();
    expect(runs.settling('a')).toBeInstanceOf(Promise);
    await flush();
    expect(woke).toEqual([]);
    // A waiter that comes while the final events are on their way wakes with the others.
    const late = runs.waitFor('a');
    deliver();
    await expect(late).resolves.toBeUndefined();
    expect(woke).toEqual([
      { id: 'a', n: 1 },
      { id: 'a', n: 2 },
    ]);
    expect(runs.settling('a')).toBeUndefined();
  });
});

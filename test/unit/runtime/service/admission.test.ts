/**
 * Admission control (src/runtime/service/admission.ts) over the in-process queue's counts: the
 * node bound counts queued and admitted-not-yet-queued runs, the workflow bound counts the
 * workflow's own, tickets give places back once, and the queue's per-workflow count follows
 * push, take, release and remove; a shared queue's bound is asked only for bounded workflows.
 */
import { describe, expect, it } from 'vitest';
import { Admission, QUEUE_FULL_RETRY_AFTER_MS } from '../../../../src/runtime/service/admission.ts';
import { executeScope } from '../../../../src/runtime/service/execute-idempotency.ts';
import { MemoryWorkQueue, type WorkLease } from '../../../../src/runtime/work-queue/index.ts';
import { QueueFullError, httpStatus } from '../../../../src/errors.ts';

function refusal(fn: () => unknown): QueueFullError {
  try {
    fn();
  } catch (err) {
    if (err instanceof QueueFullError) return err;
    throw err;
  }
  throw new Error('expected a QueueFullError');
}

describe('Admission', () => {
  it('refuses past the node bound, counting runs admitted but not queued yet', async () => {
    const queue = new MemoryWorkQueue(100);
    const admission = new Admission({ queue, queueLimit: 3 });
    await queue.push({ executionId: 'a', workflowId: 'w' });
    const t1 = admission.admit('w');
    const t2 = admission.admit('v');
    const e = refusal(() => admission.admit('x'));
    expect(e.code).toBe('queue_full');
    expect(httpStatus(e.code)).toBe(429);
    expect(e.recoverable).toBe(true);
    expect(e.details).toEqual({ scope: 'node', limit: 3, retryAfterMs: QUEUE_FULL_RETRY_AFTER_MS });
    t1();
    t1(); // a ticket gives its place back once
    expect(admission.reserved).toBe(1);
    const t3 = admission.admit('x');
    expect(() => admission.admit('x')).toThrow(QueueFullError);
    t2();
    t3();
    expect(admission.reserved).toBe(0);
  });

  it('refuses past the workflow bound while other workflows are still admitted', async () => {
    const queue = new MemoryWorkQueue(100);
    const admission = new Admission({ queue, queueLimit: 100 });
    await queue.push({ executionId: 'a', workflowId: 'w' });
    const t = admission.admit('w', 2);
    const e = refusal(() => admission.admit('w', 2));
    expect(e.details).toEqual({
      scope: 'workflow',
      workflowId: 'w',
      limit: 2,
      retryAfterMs: QUEUE_FULL_RETRY_AFTER_MS,
    });
    expect(() => admission.admit('v', 2)()).not.toThrow();
    // Without a bound of its own, only the node's applies.
    expect(() => admission.admit('w')()).not.toThrow();
    t();
    queue.remove('a');
    const again = [admission.admit('w', 2), admission.admit('w', 2)];
    expect(() => admission.admit('w', 2)).toThrow(QueueFullError);
    again.forEach((ticket) => ticket());
  });

  it('leaves the workflow bound to the node bound with a queue that cannot count per workflow', () => {
    const admission = new Admission({ queue: { size: () => 0 }, queueLimit: 10 });
    const tickets = Array.from({ length: 5 }, () => admission.admit('w', 1));
    expect(admission.reserved).toBe(5);
    tickets.forEach((t) => t());
  });

  it("asks a shared queue's bound only for workflows that set one; refuses when it is full", async () => {
    const asked: string[] = [];
    const given: string[] = [];
    const queue = {
      size: () => 0,
      reserve: async (workflowId: string, id: string, limit: number) => {
        asked.push(id);
        return asked.length <= limit;
      },
      unreserve: (_workflowId: string, id: string) => void given.push(id),
    };
    const admission = new Admission({ queue, queueLimit: 10 });
    // No bound: nothing to await, nothing asked (the hot path of execute stays as it was).
    expect(admission.admitShared('w', 'free-1')).toBeUndefined();
    const ticket = await admission.admitShared('w', 'r1', 1);
    const e = await admission.admitShared('w', 'r2', 1)!.catch((err: unknown) => err);
    expect(e).toBeInstanceOf(QueueFullError);
    expect((e as QueueFullError).details).toEqual({
      scope: 'workflow',
      workflowId: 'w',
      limit: 1,
      retryAfterMs: QUEUE_FULL_RETRY_AFTER_MS,
    });
    expect(asked).toEqual(['r1', 'r2']);
    ticket!();
    expect(given).toEqual(['r1']);
  });
});

describe('MemoryWorkQueue counts per workflow', () => {
  it('follows push, take, release and remove', async () => {
    const queue = new MemoryWorkQueue(10);
    await queue.push({ executionId: 'a1', workflowId: 'a' });
    await queue.push({ executionId: 'a2', workflowId: 'a' });
    await queue.push({ executionId: 'b1', workflowId: 'b' });
    await queue.push({ executionId: 'x' });
    expect([queue.sizeOf('a'), queue.sizeOf('b'), queue.size()]).toEqual([2, 1, 4]);
    const taken: Array<{ id: string; lease: WorkLease }> = [];
    let capacity = 1;
    queue.start({
      capacity: () => capacity,
      take: (item, lease) => {
        capacity--;
        taken.push({ id: item.executionId, lease });
      },
    });
    expect(taken.map((t) => t.id)).toEqual(['a1']);
    expect(queue.sizeOf('a')).toBe(1);
    taken[0]!.lease.release();
    expect(queue.sizeOf('a')).toBe(2);
    expect(queue.remove('b1')).toBe(true);
    expect(queue.sizeOf('b')).toBe(0);
    expect(queue.remove('b1')).toBe(false);
    expect(queue.sizeOf('b')).toBe(0);
    await queue.close();
  });

  it('refuses a push past its limit with queue_full', async () => {
    const queue = new MemoryWorkQueue(1);
    await queue.push({ executionId: 'a', workflowId: 'w' });
    await expect(queue.push({ executionId: 'b', workflowId: 'w' })).rejects.toMatchObject({
      code: 'queue_full',
      details: { scope: 'node', limit: 1 },
    });
    expect(queue.sizeOf('w')).toBe(1);
    // Runs accepted before a restart are queued again whatever the bound.
    await queue.push({ executionId: 'c', workflowId: 'w' }, { overLimit: true });
    expect([queue.size(), queue.sizeOf('w')]).toEqual([2, 2]);
  });
});

describe('executeScope', () => {
  it('is execute:<id>, hashed past 200 characters to stay within a claim scope', () => {
    expect(executeScope('deploy')).toBe('execute:deploy');
    const long = executeScope('w'.repeat(256));
    expect(long).toMatch(/^execute#[0-9a-f]{64}$/);
    expect(long.length).toBeLessThanOrEqual(256);
  });
});

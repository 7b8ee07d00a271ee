/**
 * The WorkQueue contract, run against every implementation (the in-process FIFO and the
 * JetStream work queue): delivery only within the consumer's capacity, higher priorities first
 * and in push order within one; a
 * released item comes back, a done item never does; items pushed before `start()` wait for it;
 * nothing is delivered after `close()`; a full queue refuses a push; `size()` counts what waits.
 * A queue says whether it is `shared` (the service's topology is resolved from it): a shared one
 * is opened again as another process would (`reopen`), and an item pushed on one is taken on the
 * other, also when its first taker went away without settling it.
 * @module
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkConsumer, WorkItem, WorkLease, WorkQueue } from '../../src/runtime/index.ts';
import { waitFor } from '../helpers/poll.ts';

/** How an implementation plugs in. */
export interface WorkQueueConformanceOptions {
  name: string;
  /**
   * A fresh, empty queue holding at most `limit` items; `dispose` removes what it made.
   * `redeliverAfterMs`: how long an item taken and never settled stays away (shared queues).
   */
  create(
    limit: number,
    opts?: { redeliverAfterMs?: number },
  ): Promise<{ queue: WorkQueue; dispose(): Promise<void> }>;
  /**
   * Shared implementations only: the same queue opened as another process would (its own
   * connection); `kill` ends that process without a word (its unsettled items are not settled).
   */
  reopen?(queue: WorkQueue): Promise<{ queue: WorkQueue; kill(): Promise<void> }>;
}

/** A consumer with a settable capacity that records what it was given. */
class RecordingConsumer implements WorkConsumer {
  readonly taken: Array<{ item: WorkItem; lease: WorkLease }> = [];
  constructor(public free: number) {}
  capacity(): number {
    return this.free;
  }
  take(item: WorkItem, lease: WorkLease): void {
    this.free--;
    this.taken.push({ item, lease });
  }
  ids(): string[] {
    return this.taken.map((t) => t.item.executionId);
  }
}

const items = (n: number, label = 'ex'): WorkItem[] =>
  Array.from({ length: n }, (_, i) => ({ executionId: `${label}${i}`, workflowId: 'wf' }));

/** Lets a queue that would deliver more do so before asserting that it did not. */
const settle = () => new Promise((r) => setTimeout(r, 300));

/** Registers the WorkQueue conformance cases for one implementation. */
export function runWorkQueueConformance(opts: WorkQueueConformanceOptions): void {
  describe(`WorkQueue conformance: ${opts.name}`, () => {
    const made: Array<{ queue: WorkQueue; dispose(): Promise<void> }> = [];
    const peers: Array<{ queue: WorkQueue; kill(): Promise<void> }> = [];
    const open = async (limit = 100, o?: { redeliverAfterMs?: number }) => {
      const q = await opts.create(limit, o);
      made.push(q);
      return q.queue;
    };
    afterEach(async () => {
      for (const p of peers.splice(0)) {
        await p.queue.close();
        await p.kill();
      }
      for (const q of made.splice(0)) {
        await q.queue.close();
        await q.dispose();
      }
    });

    it('says whether other processes share it', async () => {
      const queue = await open();
      expect(queue.shared).toBe(opts.reopen !== undefined);
    });

    const { reopen } = opts;
    if (reopen) {
      const peer = async (queue: WorkQueue) => {
        const p = await reopen(queue);
        peers.push(p);
        return p;
      };

      it('shared: an item pushed here is taken by another process', async () => {
        const here = await open();
        const there = await peer(here);
        const consumer = new RecordingConsumer(5);
        there.queue.start(consumer);
        await here.push({ executionId: 'crossing', workflowId: 'wf' });
        await waitFor(() => consumer.ids().includes('crossing'), { message: 'taken there' });
        consumer.taken[0]!.lease.done();
      });

      it('shared: an item whose taker died unsettled goes to another process', async () => {
        const queue = await open(100, { redeliverAfterMs: 1000 });
        const dying = await peer(queue);
        const first = new RecordingConsumer(1);
        dying.queue.start(first);
        await queue.push({ executionId: 'orphan', workflowId: 'wf' });
        await waitFor(() => first.taken.length === 1, { message: 'taken by the dying one' });
        await dying.kill(); // no done(), no release(): the process is gone
        const second = new RecordingConsumer(1);
        queue.start(second);
        await waitFor(() => second.ids().includes('orphan'), {
          timeoutMs: 10_000,
          message: 'redelivered to the survivor',
        });
        second.taken[0]!.lease.done();
        await settle();
        expect(second.ids()).toEqual(['orphan']);
      });
    }

    it('delivers in push order, no more than the consumer can take', async () => {
      const queue = await open();
      for (const item of items(5)) await queue.push(item);
      const consumer = new RecordingConsumer(3);
      queue.start(consumer);
      await waitFor(() => consumer.taken.length === 3, { message: 'three delivered' });
      await settle();
      expect(consumer.ids()).toEqual(['ex0', 'ex1', 'ex2']);
      consumer.free = 2;
      queue.poke();
      await waitFor(() => consumer.taken.length === 5, { message: 'the rest delivered' });
      expect(consumer.ids()).toEqual(['ex0', 'ex1', 'ex2', 'ex3', 'ex4']);
      for (const t of consumer.taken) t.lease.done();
    });

    it('delivers items pushed after start, once the consumer has room', async () => {
      const queue = await open();
      const consumer = new RecordingConsumer(10);
      queue.start(consumer);
      await queue.push({ executionId: 'late', workflowId: 'wf' });
      await waitFor(() => consumer.ids().includes('late'), { message: 'late item delivered' });
      consumer.taken[0]!.lease.done();
    });

    it('gives a released item back, and never a done one', async () => {
      const queue = await open();
      for (const item of items(2)) await queue.push(item);
      const consumer = new RecordingConsumer(2);
      queue.start(consumer);
      await waitFor(() => consumer.taken.length === 2, { message: 'both delivered' });
      const [first, second] = consumer.taken;
      first!.lease.done();
      consumer.free = 5;
      second!.lease.release();
      await waitFor(() => consumer.taken.length === 3, { message: 'the released item again' });
      await settle();
      queue.poke();
      await settle();
      expect(consumer.ids()).toEqual(['ex0', 'ex1', 'ex1']);
      consumer.taken[2]!.lease.done();
    });

    it('delivers nothing after close', async () => {
      const queue = await open();
      const consumer = new RecordingConsumer(10);
      queue.start(consumer);
      await queue.close();
      await queue.push({ executionId: 'after', workflowId: 'wf' }).catch(() => undefined);
      queue.poke();
      await settle();
      expect(consumer.taken).toEqual([]);
    });

    it('refuses a push beyond its bound', async () => {
      const queue = await open(3);
      for (const item of items(3)) await queue.push(item);
      await expect(queue.push({ executionId: 'over', workflowId: 'wf' })).rejects.toThrow();
    });

    it('delivers higher priorities first, FIFO within one', async () => {
      const queue = await open();
      const consumer = new RecordingConsumer(0);
      queue.start(consumer);
      for (const item of items(20, 'low')) await queue.push({ ...item, priority: 5 });
      for (const item of items(5, 'high')) await queue.push({ ...item, priority: 1 });
      await waitFor(() => queue.size() === 25, { timeoutMs: 5000, message: 'size 25' });
      consumer.free = 25;
      queue.poke();
      await waitFor(() => consumer.taken.length === 25, { message: 'all delivered' });
      expect(consumer.ids()).toEqual([
        ...items(5, 'high').map((i) => i.executionId),
        ...items(20, 'low').map((i) => i.executionId),
      ]);
      for (const t of consumer.taken) t.lease.done();
    });

    it('one at a time, a higher priority pushed later overtakes the default', async () => {
      const queue = await open();
      const consumer = new RecordingConsumer(0);
      queue.start(consumer);
      const mixed: WorkItem[] = [
        { executionId: 'd0', workflowId: 'wf' },
        { executionId: 'l0', workflowId: 'wf', priority: 4 },
        { executionId: 'd1', workflowId: 'wf', priority: 3 },
        { executionId: 'h0', workflowId: 'wf', priority: 2 },
        { executionId: 'l1', workflowId: 'wf', priority: 4 },
        { executionId: 'h1', workflowId: 'wf', priority: 2 },
      ];
      for (const item of mixed) await queue.push(item);
      await waitFor(() => queue.size() === 6, { timeoutMs: 5000, message: 'size 6' });
      for (let n = 1; n <= mixed.length; n++) {
        consumer.free = 1;
        queue.poke();
        await waitFor(() => consumer.taken.length === n, { message: `item ${n} delivered` });
        consumer.taken[n - 1]!.lease.done();
      }
      expect(consumer.ids()).toEqual(['h0', 'h1', 'd0', 'd1', 'l0', 'l1']);
    });

    it('gives a released item back ahead of lower priorities', async () => {
      const queue = await open();
      const consumer = new RecordingConsumer(0);
      queue.start(consumer);
      await queue.push({ executionId: 'urgent', workflowId: 'wf', priority: 1 });
      await queue.push({ executionId: 'later', workflowId: 'wf', priority: 5 });
      await waitFor(() => queue.size() === 2, { timeoutMs: 5000, message: 'size 2' });
      consumer.free = 1;
      queue.poke();
      await waitFor(() => consumer.taken.length === 1, { message: 'first delivered' });
      consumer.free = 1;
      consumer.taken[0]!.lease.release();
      await waitFor(() => consumer.taken.length === 2, {
        timeoutMs: 5000,
        message: 'the released item again',
      });
      expect(consumer.ids()).toEqual(['urgent', 'urgent']);
      consumer.free = 1;
      consumer.taken[1]!.lease.done();
      queue.poke();
      await waitFor(() => consumer.taken.length === 3, { timeoutMs: 5000, message: 'the low one' });
      expect(consumer.ids()).toEqual(['urgent', 'urgent', 'later']);
      consumer.taken[2]!.lease.done();
    });

    it('counts what waits', async () => {
      const queue = await open();
      for (const item of items(4)) await queue.push(item);
      await waitFor(() => queue.size() === 4, { timeoutMs: 5000, message: 'size 4' });
      const consumer = new RecordingConsumer(1);
      queue.start(consumer);
      await waitFor(() => consumer.taken.length === 1, { message: 'one delivered' });
      await waitFor(() => queue.size() === 3, { timeoutMs: 5000, message: 'size 3' });
      consumer.taken[0]!.lease.done();
    });
  });
}

/**
 * The FlowGate contract, run against every implementation (the in-process gate and the one the
 * nodes of a cluster share through a JetStream KV bucket), on the real clock: `runConcurrency`
 * holds runs past the limit and hands a freed slot to the highest-priority waiter (FIFO within
 * one), keeping it for that run; a resumed run is counted, never held; a released waiter leaves
 * the line; `rateLimit` lets `limit` starts per window and wakes the held ones as it moves.
 * Shared implementations (`peer`) are also opened a second time, as another node would: the
 * limit holds across both, and a slot freed on one wakes a run held on the other.
 * @module
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FlowGate, FlowReady, FlowRun, FlowSuperseded } from '../../src/runtime/flow/index.ts';
import { waitFor } from '../helpers/poll.ts';

/** How an implementation plugs in. */
export interface FlowGateConformanceOptions {
  name: string;
  /**
   * A fresh gate over fresh state; `ready` is told of each run it lets go, `superseded` of each
   * debounced run absorbed by a later one.
   */
  create(
    ready: (run: FlowReady) => void,
    superseded: FlowSuperseded,
  ): Promise<{ gate: FlowGate; dispose(): Promise<void> }>;
  /** Shared implementations: another gate over the same state (another node). */
  peer?(
    gate: FlowGate,
    ready: (run: FlowReady) => void,
    superseded: FlowSuperseded,
  ): Promise<FlowGate>;
}

const conc = { runConcurrency: { key: 'inputs.k', limit: 2 } };
const rate = (perMs: number) => ({ rateLimit: { key: 'inputs.k', limit: 2, perMs } });
const run = (id: string, controls: FlowRun['controls'], priority?: number, k = 'a'): FlowRun => ({
  executionId: id,
  workflowId: 'wf',
  controls,
  inputs: { k },
  ...(priority !== undefined && { priority }),
});
const deb = { debounce: { key: 'inputs.k', periodMs: 320 } };
const settle = (ms = 200) => new Promise((r) => setTimeout(r, ms));

/** Registers the FlowGate conformance cases for one implementation. */
export function runFlowGateConformance(opts: FlowGateConformanceOptions): void {
  describe(`FlowGate conformance: ${opts.name}`, () => {
    const made: Array<{ gate: FlowGate; dispose(): Promise<void> }> = [];
    const peers: FlowGate[] = [];
    afterEach(async () => {
      for (const p of peers.splice(0)) await p.close();
      for (const m of made.splice(0)) await m.dispose();
    });
    async function gate() {
      const ready: string[] = [];
      const gone: Array<[string, string]> = [];
      const m = await opts.create(
        (r) => ready.push(r.executionId),
        (id, into) => void gone.push([id, into]),
      );
      made.push(m);
      return { g: m.gate, ready, gone };
    }

    it('holds runs past the limit; a freed slot goes to the highest priority first', async () => {
      const { g, ready } = await gate();
      expect((await g.admit(run('r1', conc))).start).toBe(true);
      expect((await g.admit(run('r2', conc))).start).toBe(true);
      expect(await g.admit(run('low1', conc, 5))).toMatchObject({
        start: false,
        wait: { reason: 'runConcurrency', key: 'a' },
      });
      await g.admit(run('low2', conc, 5));
      await g.admit(run('high', conc, 1));
      expect((await g.admit(run('other', conc, 3, 'b'))).start).toBe(true);
      await waitFor(() => g.waiting() === 3, { message: 'three waiting' });
      g.release('r1');
      await waitFor(() => ready.length === 1);
      expect(ready).toEqual(['high']);
      // A newcomer cannot take the slot kept for the woken run; the woken run can.
      expect((await g.admit(run('newcomer', conc, 1))).start).toBe(false);
      expect((await g.admit(run('high', conc, 1))).start).toBe(true);
      g.release('r2');
      await waitFor(() => ready.length === 2);
      g.release('high');
      await waitFor(() => ready.length === 3);
      expect(ready).toEqual(['high', 'newcomer', 'low1']);
    });

    it('a resumed run is counted, never held; a released waiter leaves the line', async () => {
      const { g, ready } = await gate();
      await g.admit(run('r1', conc));
      await g.admit(run('r2', conc));
      expect((await g.admit({ ...run('r3', conc), resumed: true })).start).toBe(true);
      expect((await g.admit(run('w1', conc))).start).toBe(false);
      expect((await g.admit(run('w2', conc))).start).toBe(false);
      g.release('w1'); // cancelled while it waited
      g.release('r1');
      await settle();
      expect(ready).toEqual([]); // still 2 holders (r2, r3): the limit
      g.release('r2');
      await waitFor(() => ready.length === 1);
      expect(ready).toEqual(['w2']);
    });

    it('rateLimit: limit starts per window; the held start as the window moves', async () => {
      const { g, ready } = await gate();
      const t0 = Date.now();
      expect((await g.admit(run('a1', rate(1500)))).start).toBe(true);
      expect((await g.admit(run('a2', rate(1500)))).start).toBe(true);
      expect(await g.admit(run('a3', rate(1500)))).toMatchObject({
        start: false,
        wait: { reason: 'rateLimit', key: 'a' },
      });
      expect((await g.admit(run('a4', rate(1500)))).start).toBe(false);
      await settle(300);
      expect(ready).toEqual([]);
      await waitFor(() => ready.length === 2, { timeoutMs: 5000 });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
      expect(ready).toEqual(['a3', 'a4']);
      // Woken: counted already, they start; a newcomer waits for the next window.
      expect((await g.admit(run('a3', rate(1500)))).start).toBe(true);
      expect((await g.admit(run('a4', rate(1500)))).start).toBe(true);
      expect((await g.admit(run('a5', rate(1500)))).start).toBe(false);
      await waitFor(() => ready.length === 3, { timeoutMs: 5000 });
    });

    it('debounce: a burst becomes its latest request; it goes on once the key is quiet', async () => {
      const { g, ready, gone } = await gate();
      const t0 = Date.now();
      const at = (id: string, ms: number) => ({ ...run(id, deb), createdAt: t0 + ms });
      expect(await g.admit(at('d1', 0))).toMatchObject({
        start: false,
        wait: { reason: 'debounce', key: 'a' },
      });
      expect((await g.admit(at('d3', 20))).start).toBe(false);
      // Requested before the latest, it arrives after it: absorbed at once.
      expect((await g.admit(at('d2', 10))).start).toBe(false);
      expect(gone).toEqual([
        ['d1', 'd3'],
        ['d2', 'd3'],
      ]);
      // Another key is a burst of its own.
      expect((await g.admit({ ...at('e1', 20), inputs: { k: 'b' } })).start).toBe(false);
      await settle(100);
      expect(ready).toEqual([]);
      await waitFor(() => ready.length === 2, { timeoutMs: 5000 });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
      expect(ready.sort()).toEqual(['d3', 'e1']);
      // Let go: it passes when it comes back; a later request starts a new burst.
      expect((await g.admit(at('d3', 20))).start).toBe(true);
      expect((await g.admit(at('d4', Date.now() - t0))).start).toBe(false);
      await waitFor(() => ready.length === 3, { timeoutMs: 5000 });
      expect(gone).toHaveLength(2);
    });

    it('debounce with runConcurrency: a run let go stays let go while the slot holds it', async () => {
      const { g, ready, gone } = await gate();
      const both = { ...deb, runConcurrency: { key: 'inputs.k', limit: 1 } };
      const t0 = Date.now();
      const at = (id: string, ms: number) => ({ ...run(id, both), createdAt: t0 + ms });
      expect((await g.admit(at('p1', 0))).start).toBe(false);
      await waitFor(() => ready.includes('p1'), { timeoutMs: 5000 });
      expect((await g.admit(at('p1', 0))).start).toBe(true); // takes the slot
      expect((await g.admit(at('p2', 1))).start).toBe(false); // a new burst
      await waitFor(() => ready.includes('p2'), { timeoutMs: 5000 });
      expect(await g.admit(at('p2', 1))).toMatchObject({
        start: false,
        wait: { reason: 'runConcurrency' },
      });
      // A later request comes while p2 waits for the slot: p2 was let go, it is not absorbed.
      expect((await g.admit(at('p3', Date.now() - t0))).start).toBe(false);
      g.release('p1');
      await waitFor(() => ready.filter((x) => x === 'p2').length === 2, { timeoutMs: 5000 });
      expect((await g.admit(at('p2', 1))).start).toBe(true);
      expect(gone).toEqual([]);
    });

    if (opts.peer) {
      const peer = opts.peer;
      it('shared: the limit holds across gates; a slot freed on one wakes a run held on the other', async () => {
        const { g, ready } = await gate();
        const readyB: string[] = [];
        const b = await peer(
          g,
          (r) => readyB.push(r.executionId),
          () => undefined,
        );
        peers.push(b);
        const admitted = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 ? b : g).admit(run(`x${i}`, conc)).then((v) => [i, v.start] as const),
          ),
        );
        const started = admitted.filter(([, s]) => s).map(([i]) => `x${i}`);
        expect(started).toHaveLength(2);
        // Freed on gate A (which may never have seen that run): the next waiter is woken once.
        for (const id of started) b.release(id);
        await waitFor(() => ready.length + readyB.length === 2, { message: 'two woken' });
        await settle();
        expect(ready.length + readyB.length).toBe(2);
        expect(new Set([...ready, ...readyB]).size).toBe(2);
      });

      it('shared: a burst spread over gates becomes one run', async () => {
        const { g, ready, gone } = await gate();
        const readyB: string[] = [];
        const goneB: Array<[string, string]> = [];
        const b = await peer(
          g,
          (r) => readyB.push(r.executionId),
          (id, into) => void goneB.push([id, into]),
        );
        peers.push(b);
        const t0 = Date.now();
        for (let i = 0; i < 6; i++) {
          const verdict = await (i % 2 ? b : g).admit({ ...run(`s${i}`, deb), createdAt: t0 + i });
          expect(verdict.start).toBe(false);
        }
        await waitFor(() => ready.length + readyB.length >= 1, { timeoutMs: 5000 });
        await settle(500);
        expect([...ready, ...readyB]).toEqual(['s5']);
        expect([...gone, ...goneB].map(([id]) => id).sort()).toEqual([
          's0',
          's1',
          's2',
          's3',
          's4',
        ]);
      });
    }
  });
}

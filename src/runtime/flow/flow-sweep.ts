/**
 * The cluster flow gate's sweep (every `sweepMs` on each node): what a node killed between two
 * writes left behind is put right by any other node.
 * - c: in documents where runs wait, a holder whose run is over (or has no record) is released
 *   (a node killed between storing the end and freeing the slot); a holder woken and not started
 *   for `requeueAfterMs` is queued again (killed between waking it and queueing it);
 * - r, d: a pass not used for `requeueAfterMs` is dropped (run over, or started) or its run is
 *   queued again; a rate window whose starts all left it is forgotten;
 * - d: a run absorbed by a later request whose cancel was not done in `requeueAfterMs` is
 *   cancelled again.
 * A run queued twice is harmless (the dispatcher skips a copy of a run leased or finished). Cost:
 * one store read per holder of a key where runs wait, and per stale pass or note.
 * @module
 */
import { takePass, type FlowDoc, type FlowWaiter } from './flow-docs.ts';

/** What a run's record says, for the sweep. */
export interface FlowRunState {
  /** Final, or no record at all. */
  over: boolean;
  started: boolean;
}

/** What the sweep does through the gate. */
export interface SweepOps {
  now: number;
  requeueAfterMs: number;
  runState(executionId: string): Promise<FlowRunState>;
  /** Drops the run from every document (its slot goes to the next waiter). */
  release(executionId: string): Promise<void>;
  /** A revision-checked change of the document `key` by `mark`. */
  touch(key: string, mark: (doc: FlowDoc) => void): Promise<void>;
  /** Queues the run again. */
  wake(w: FlowWaiter): void;
  /** Cancels an absorbed run again, then forgets it. */
  absorb(key: string, executionId: string, into: string): void;
  /** Moves a rate window (forgets it when idle). */
  fillWindow(key: string): void;
}

/** One sweep over the documents (key, document). */
export async function sweepFlow(docs: Array<[string, FlowDoc]>, ops: SweepOps): Promise<void> {
  const { now, requeueAfterMs } = ops;
  for (const [key, doc] of docs) {
    await sweepPasses(key, doc, ops);
    if (doc.kind === 'r' && doc.waiters.length === 0) {
      if (doc.starts.every((t) => t <= now - (doc.perMs ?? 0))) ops.fillWindow(key);
      continue;
    }
    for (const a of doc.absorbed ?? []) {
      if (now - a.at <= requeueAfterMs) continue;
      await ops.touch(key, (d) => {
        const still = d.absorbed?.find((x) => x.id === a.id);
        if (still) still.at = now;
      });
      ops.absorb(key, a.id, a.into);
    }
    if (doc.kind !== 'c' || doc.waiters.length === 0) continue;
    for (const h of doc.holders) {
      const state = await ops.runState(h.id);
      if (state.over) await ops.release(h.id);
      else if (!state.started && now - h.at > requeueAfterMs) {
        await ops.touch(key, (d) => {
          const held = d.holders.find((x) => x.id === h.id);
          if (held) held.at = now;
        });
        ops.wake({
          id: h.id,
          workflowId: doc.workflowId,
          since: '',
          ...(h.p && { priority: h.p }),
        });
      }
    }
  }
}

/** r, d: a pass not used for `requeueAfterMs`: dropped if its run is over or started, else woken. */
async function sweepPasses(key: string, doc: FlowDoc, ops: SweepOps): Promise<void> {
  for (const [id, pass] of Object.entries(doc.passedAt ?? {})) {
    if (ops.now - pass.at <= ops.requeueAfterMs) continue;
    const state = await ops.runState(id);
    if (state.over) {
      await ops.release(id);
      continue;
    }
    if (state.started) {
      // Resumed without using it: it needs it no more.
      await ops.touch(key, (d) => void takePass(d, id));
      continue;
    }
    await ops.touch(key, (d) => {
      const p = d.passedAt?.[id];
      if (p) p.at = ops.now;
    });
    ops.wake({
      id,
      workflowId: doc.workflowId,
      since: '',
      ...(pass.p !== undefined && { priority: pass.p }),
    });
  }
}

/**
 * The admission steps of the cluster gate, pure: each takes the document of one key as read and
 * the run, changes the document, and says whether the run is held (the gate writes the result
 * at the revision read, so each step is atomic across nodes; flow-docs.ts).
 * @module
 */
import type { FlowRun } from './types.ts';
import { absorb, fillWindow, takePass, type FlowDoc, type FlowWaiter } from './flow-docs.ts';

/** What a step says: held or not; runs it woke; d: the run absorbed and the one it went into. */
export interface AdmitStep {
  result: { held: boolean; gone?: [string, string] };
  woken?: FlowWaiter[];
}

/** c: a slot (kept, taken when free and nobody waits, or taken anyway by a resumed run) or wait. */
export function admitSlot(doc: FlowDoc, run: FlowRun, waiter: FlowWaiter, now: number): AdmitStep {
  const id = run.executionId;
  doc.limit = run.controls.runConcurrency!.limit;
  if (doc.holders.some((h) => h.id === id)) return { result: { held: false } };
  if (doc.waiters.some((w) => w.id === id)) return { result: { held: true } };
  if (run.resumed || (doc.holders.length < doc.limit && doc.waiters.length === 0)) {
    doc.holders.push({ id, at: now, ...(run.priority !== undefined && { p: run.priority }) });
    return { result: { held: false } };
  }
  doc.waiters.push(waiter);
  return { result: { held: true } };
}

/** r: a start within the window (or the pass the window gave it), or wait. */
export function admitRate(doc: FlowDoc, run: FlowRun, waiter: FlowWaiter, now: number): AdmitStep {
  const id = run.executionId;
  doc.limit = run.controls.rateLimit!.limit;
  doc.perMs = run.controls.rateLimit!.perMs;
  if (takePass(doc, id)) return { result: { held: false }, woken: fillWindow(doc, now) };
  if (doc.waiters.some((w) => w.id === id)) return { result: { held: true } };
  const woken = fillWindow(doc, now);
  if (doc.starts.length < doc.limit && doc.waiters.length === 0) {
    doc.starts.push(now);
    return { result: { held: false }, woken };
  }
  doc.waiters.push(waiter);
  return { result: { held: true }, woken };
}

/**
 * d: the run goes on when its burst let it go (its pass, kept until it ends: held by another
 * limit, it comes back and still goes on); otherwise it becomes the latest (the one it replaces
 * is absorbed into it) or, requested before the latest, is absorbed itself. Bursts are timed
 * from the request times (`createdAt`); equal times are ordered by id.
 */
export function admitBurst(doc: FlowDoc, run: FlowRun, waiter: FlowWaiter, now: number): AdmitStep {
  const id = run.executionId;
  const at = run.createdAt ?? now;
  if (doc.passes.includes(id)) return { result: { held: false } };
  const latest = doc.latest;
  if (latest?.id === id) return { result: { held: true } };
  if (latest && (latest.at > at || (latest.at === at && latest.id > id))) {
    absorb(doc, id, latest.id, now);
    return { result: { held: true, gone: [id, latest.id] } };
  }
  doc.latest = { ...waiter, at, due: at + run.controls.debounce!.periodMs };
  if (!latest) return { result: { held: true } };
  absorb(doc, latest.id, id, now);
  return { result: { held: true, gone: [latest.id, id] } };
}

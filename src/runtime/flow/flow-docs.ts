/**
 * The shared state of one workflow and key in the flow bucket, and the pure steps that change
 * it (the cluster gate applies each one to the document it read and writes the result at the
 * revision it read, so every step is atomic across nodes):
 * - a `runConcurrency` document (`c.<hash>`): the runs holding a slot and the runs waiting;
 * - a `rateLimit` document (`r.<hash>`): the start times within the window, the runs woken by
 *   the window (their start counted already: `passes`) and the runs waiting;
 * - a `debounce` document (`d.<hash>`): the latest run of a burst and when it is due.
 * Waiters are kept in arrival order; the next is the first of the highest priority.
 * @module
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { laneOf } from '../work-queue/index.ts';

const waiterSchema = z.object({
  id: z.string(),
  workflowId: z.string(),
  priority: z.number().int().min(1).max(5).optional(),
  since: z.string(),
});

const flowDocSchema = z.object({
  kind: z.enum(['c', 'r', 'd']),
  workflowId: z.string(),
  key: z.string(),
  limit: z.number().int().min(1),
  perMs: z.number().optional(),
  /** c: runs holding a slot, when they took it (ms, the writer's clock), their priority. */
  holders: z.array(
    z.object({ id: z.string(), at: z.number(), p: z.number().int().min(1).max(5).optional() }),
  ),
  /** r: start times within the window (ms, the writers' clocks). */
  starts: z.array(z.number()),
  /** r, d: runs woken (by the window, by the burst's end), their start counted. */
  passes: z.array(z.string()),
  /** r, d: when each pass was given, and the run's priority (the sweep wakes it again). */
  passedAt: z
    .record(z.string(), z.object({ at: z.number(), p: z.number().int().min(1).max(5).optional() }))
    .optional(),
  waiters: z.array(waiterSchema),
  /**
   * d: runs absorbed by a later request, until their cancel is done (the sweep cancels again
   * what a node killed meanwhile left pending).
   */
  absorbed: z.array(z.object({ id: z.string(), into: z.string(), at: z.number() })).optional(),
  /** d: the latest run of the burst and when it may go on (ms). */
  latest: waiterSchema.extend({ at: z.number(), due: z.number() }).optional(),
});

/** One shared document. */
export type FlowDoc = z.infer<typeof flowDocSchema>;
/** A run waiting in a document. */
export type FlowWaiter = z.infer<typeof waiterSchema>;

const decoder = new TextDecoder();

/** A stored document, or undefined when it is not one. */
export function parseFlowDoc(data: Uint8Array): FlowDoc | undefined {
  try {
    const parsed = flowDocSchema.safeParse(JSON.parse(decoder.decode(data)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The bucket key of a workflow's key of one kind (hashed: any text is a valid KV key). */
export function flowDocKey(kind: FlowDoc['kind'], workflowId: string, key: string): string {
  const hash = createHash('sha256').update(`${workflowId}\u0000${key}`).digest('hex');
  return `${kind}.${hash.slice(0, 32)}`;
}

/** An empty document. */
export function emptyDoc(
  kind: FlowDoc['kind'],
  workflowId: string,
  key: string,
  limit: number,
): FlowDoc {
  return { kind, workflowId, key, limit, holders: [], starts: [], passes: [], waiters: [] };
}

/** True when the document holds nothing (it is deleted then). */
export function isIdle(doc: FlowDoc): boolean {
  return (
    doc.holders.length === 0 &&
    doc.starts.length === 0 &&
    doc.passes.length === 0 &&
    doc.waiters.length === 0 &&
    (doc.absorbed?.length ?? 0) === 0 &&
    doc.latest === undefined
  );
}

/** Removes and answers the next waiter: the first of the highest priority. */
export function takeNext(doc: FlowDoc): FlowWaiter | undefined {
  let best = -1;
  for (let i = 0; i < doc.waiters.length; i++) {
    const lane = laneOf(doc.waiters[i]!.priority);
    if (best < 0 || lane < laneOf(doc.waiters[best]!.priority)) best = i;
  }
  return best < 0 ? undefined : doc.waiters.splice(best, 1)[0];
}

/** Every run the document names. */
export function runsIn(doc: FlowDoc): string[] {
  return [
    ...doc.holders.map((h) => h.id),
    ...doc.passes,
    ...doc.waiters.map((w) => w.id),
    ...(doc.latest ? [doc.latest.id] : []),
  ];
}

/** d: `id` was absorbed by `into`: noted until its cancel is done. */
export function absorb(doc: FlowDoc, id: string, into: string, now: number): void {
  doc.absorbed = [...(doc.absorbed ?? []).filter((a) => a.id !== id), { id, into, at: now }];
}

/** d: `id`'s cancel is done. */
export function absorbed(doc: FlowDoc, id: string): void {
  const left = (doc.absorbed ?? []).filter((a) => a.id !== id);
  if (left.length > 0) doc.absorbed = left;
  else delete doc.absorbed;
}

/** Gives `w` a pass (its start counted) at `now`. */
export function givePass(doc: FlowDoc, w: FlowWaiter, now: number): void {
  doc.passes.push(w.id);
  doc.passedAt = {
    ...doc.passedAt,
    [w.id]: { at: now, ...(w.priority !== undefined && { p: w.priority }) },
  };
}

/** Takes `id`'s pass away (used, or the run is gone); true when it had one. */
export function takePass(doc: FlowDoc, id: string): boolean {
  if (!doc.passes.includes(id)) return false;
  doc.passes = doc.passes.filter((p) => p !== id);
  if (doc.passedAt) {
    delete doc.passedAt[id];
    if (Object.keys(doc.passedAt).length === 0) delete doc.passedAt;
  }
  return true;
}

/** True when `id` appears anywhere in the document. */
export function mentions(doc: FlowDoc, id: string): boolean {
  return (
    doc.holders.some((h) => h.id === id) ||
    doc.passes.includes(id) ||
    doc.waiters.some((w) => w.id === id) ||
    doc.latest?.id === id
  );
}

/** Drops `id` from the document; answers the runs woken into the room it left (c). */
export function dropRun(doc: FlowDoc, id: string, now: number): FlowWaiter[] {
  doc.holders = doc.holders.filter((h) => h.id !== id);
  takePass(doc, id);
  doc.waiters = doc.waiters.filter((w) => w.id !== id);
  if (doc.latest?.id === id) delete doc.latest;
  return doc.kind === 'c' ? fillSlots(doc, now) : [];
}

/** c: hands free slots to waiters (kept for them while they travel back through the queue). */
export function fillSlots(doc: FlowDoc, now: number): FlowWaiter[] {
  const woken: FlowWaiter[] = [];
  while (doc.holders.length < doc.limit && doc.waiters.length > 0) {
    const next = takeNext(doc)!;
    doc.holders.push({
      id: next.id,
      at: now,
      ...(next.priority !== undefined && { p: next.priority }),
    });
    woken.push(next);
  }
  return woken;
}

/** r: forgets starts that left the window; wakes waiters into the room (their start counted). */
export function fillWindow(doc: FlowDoc, now: number): FlowWaiter[] {
  const perMs = doc.perMs ?? 0;
  doc.starts = doc.starts.filter((t) => t > now - perMs);
  const woken: FlowWaiter[] = [];
  while (doc.starts.length < doc.limit && doc.waiters.length > 0) {
    const next = takeNext(doc)!;
    doc.starts.push(now);
    givePass(doc, next, now);
    woken.push(next);
  }
  return woken;
}

/** d: lets the latest run of a quiet burst go (its pass kept for it); answers it. */
export function fireDebounce(doc: FlowDoc, now: number): FlowWaiter[] {
  const latest = doc.latest;
  if (!latest || latest.due > now) return [];
  delete doc.latest;
  const { at: _at, due: _due, ...waiter } = latest;
  givePass(doc, waiter, now);
  return [waiter];
}

/** r and d: runs the time moving on wakes, in their document. */
export function wakeDue(doc: FlowDoc, now: number): FlowWaiter[] {
  if (doc.kind === 'r') return fillWindow(doc, now);
  if (doc.kind === 'd') return fireDebounce(doc, now);
  return [];
}

/**
 * When time next wakes someone (ms): r, when the window lets a waiter start; d, when the latest
 * run of a burst is due. Undefined when nothing is waiting for time.
 */
export function nextRoom(doc: FlowDoc): number | undefined {
  if (doc.kind === 'd') return doc.latest?.due;
  if (doc.kind !== 'r' || doc.waiters.length === 0) return undefined;
  if (doc.starts.length < doc.limit) return 0;
  return Math.min(...doc.starts) + (doc.perMs ?? 0);
}

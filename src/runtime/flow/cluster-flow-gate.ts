/**
 * The flow gate shared by the nodes of a cluster: one document per workflow and key in the
 * flow bucket (flow-kv.ts, flow-docs.ts), changed only by revision-checked writes. Each change
 * (take a slot, wait, free a slot and hand it to the next waiter, count a start) is a pure step
 * applied to the document as read and written at the revision read: a node that lost the race
 * reads again and applies its step to the newer state. Two nodes can never both take the last
 * slot, nor both wake the same waiter, nor count one start twice.
 *
 * Slots are the runs' own (their execution id), not the node's: a run taken over from a dead
 * node keeps its slot and frees it when it ends on its new node (any node finds it through the
 * watch). Waiters live in the document too, not in a node's memory, so the node that frees a
 * slot wakes the next waiter wherever it was held, and a held run outlives the node that held
 * it. The window of a `rateLimit` is woken by a timer on every node (armed from the watch; one
 * write wins). A sweep every `sweepMs` frees the slots of runs that ended without freeing them
 * (a node killed between storing the end and freeing the slot) and queues again a woken run
 * that never came back (a node killed between waking it and queueing it).
 * @module
 */
import type { Logger } from 'pino';
import { unrefTimer, type Clock, type TimerHandle } from '../../clock.ts';
import { UnavailableError } from '../../errors.ts';
import { flowKey } from '../../workflow/index.ts';
import {
  dropRun,
  emptyDoc,
  wakeDue,
  flowDocKey,
  isIdle,
  mentions,
  nextRoom,
  runsIn,
  absorbed,
  type FlowDoc,
  type FlowWaiter,
} from './flow-docs.ts';
import type { FlowEntry, FlowKv } from './flow-kv.ts';
import { sweepFlow, type FlowRunState } from './flow-sweep.ts';
import { admitBurst, admitRate, admitSlot } from './flow-admit.ts';
import type {
  FlowGate,
  FlowReady,
  FlowRun,
  FlowSuperseded,
  FlowVerdict,
  FlowWait,
} from './types.ts';

/** Options of the cluster gate. */
export interface ClusterFlowGateOptions {
  kv: FlowKv;
  clock: Clock;
  logger: Logger;
  /** A held run may start now: queue it again. */
  ready(run: FlowReady): void;
  /** A debounced run was absorbed by a later one. */
  superseded?: FlowSuperseded;
  /** The run's record, for the sweep. */
  runState(executionId: string): Promise<FlowRunState>;
  /** @default 2000 */
  sweepMs?: number;
  /** A woken run not started after this long is queued again. @default 30000 */
  requeueAfterMs?: number;
}

/** Writes one document may lose in a row before the gate gives up (UnavailableError). */
const MAX_CONFLICTS = 100;

/** The flow gate of a cluster node. */
export class ClusterFlowGate implements FlowGate {
  /** Every document of the bucket, as the watch shows it. */
  readonly #view = new Map<string, FlowEntry>();
  /** The documents of the view that name each run (release finds a run's in O(1)). */
  readonly #named = new Map<string, Set<string>>();
  /** Documents each run admitted here is in. */
  readonly #docsOf = new Map<string, Set<string>>();
  readonly #timers = new Map<string, { at: number; handle: TimerHandle }>();
  #stopWatch: (() => void) | undefined;
  #sweep: TimerHandle | undefined;
  #closed = false;

  private constructor(private readonly opts: ClusterFlowGateOptions) {}

  /** Opens the gate: watches the bucket and starts the sweep. */
  static async open(opts: ClusterFlowGateOptions): Promise<ClusterFlowGate> {
    const gate = new ClusterFlowGate(opts);
    gate.#stopWatch = await opts.kv.watch((e) => gate.#observe(e));
    gate.#armSweep();
    return gate;
  }

  async admit(run: FlowRun): Promise<FlowVerdict> {
    const { debounce, runConcurrency: conc, rateLimit: rate } = run.controls;
    const now = this.opts.clock.now();
    const waiter: FlowWaiter = {
      id: run.executionId,
      workflowId: run.workflowId,
      ...(run.priority !== undefined && { priority: run.priority }),
      since: new Date(now).toISOString(),
    };
    const steps = [
      ...(debounce && !run.resumed ? [['d', debounce.key, 1, admitBurst] as const] : []),
      ...(conc ? [['c', conc.key, conc.limit, admitSlot] as const] : []),
      ...(rate && !run.resumed ? [['r', rate.key, rate.limit, admitRate] as const] : []),
    ];
    for (const [kind, expression, limit, step] of steps) {
      const key = flowKey(expression, run.inputs);
      const docKey = this.#note(run.executionId, flowDocKey(kind, run.workflowId, key));
      const result = await this.#change(
        docKey,
        () => emptyDoc(kind, run.workflowId, key, limit),
        (doc) => step(doc, run, waiter, now),
      );
      if (result?.gone) this.#absorb(docKey, ...result.gone);
      if (result?.held) return hold(REASONS[kind], key, waiter.since);
    }
    return { start: true };
  }

  /** Cancels an absorbed run, then forgets it in the document (kept there until then). */
  #absorb(docKey: string, id: string, into: string): void {
    Promise.resolve(this.opts.superseded?.(id, into))
      .then(() => this.#change(docKey, undefined, (d) => ({ result: absorbed(d, id) })))
      .catch((err: unknown) => {
        this.opts.logger.warn(
          { err: String(err), executionId: id },
          'flow: debounce cancel failed',
        );
      });
  }

  release(executionId: string, left?: 'left'): void {
    // Handed over (shutdown): the node that resumes it holds its slot on.
    if (left) return void this.#docsOf.delete(executionId);
    void this.#release(executionId).catch((err: unknown) => {
      this.opts.logger.warn({ err: String(err), executionId }, 'flow: could not free a slot');
    });
  }

  /** Runs waiting across the cluster, as the watch shows them. */
  waiting(): number {
    let n = 0;
    for (const e of this.#view.values())
      n += (e.doc?.waiters.length ?? 0) + (e.doc?.latest ? 1 : 0);
    return n;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopWatch?.();
    if (this.#sweep) this.opts.clock.clearTimeout(this.#sweep);
    for (const t of this.#timers.values()) this.opts.clock.clearTimeout(t.handle);
    this.#timers.clear();
  }

  async #release(id: string): Promise<void> {
    const keys = new Set(this.#docsOf.get(id));
    this.#docsOf.delete(id);
    for (const key of this.#named.get(id) ?? []) keys.add(key);
    for (const key of keys) {
      await this.#change(key, undefined, (doc) => {
        if (!mentions(doc, id)) return { result: undefined };
        return { result: undefined, woken: dropRun(doc, id, this.opts.clock.now()) };
      });
    }
  }

  /**
   * Applies `step` to the document `key` as read and writes the result at the revision read
   * (deleting an idle document), reading again after a lost race; then wakes the runs the
   * written step woke. Without `init` an absent document is left alone.
   */
  async #change<R>(
    key: string,
    init: (() => FlowDoc) | undefined,
    step: (doc: FlowDoc) => { result: R; woken?: FlowWaiter[] },
  ): Promise<R | undefined> {
    for (let lost = 0; ; lost++) {
      const entry = await this.opts.kv.get(key);
      if (!entry.doc && !init) return undefined;
      const before = JSON.stringify(entry.doc ?? null);
      const doc = entry.doc ? (JSON.parse(before) as FlowDoc) : init!();
      const { result, woken = [] } = step(doc);
      const next = isIdle(doc) ? undefined : doc;
      if (JSON.stringify(next ?? null) === before) return result;
      if (await this.opts.kv.write(key, next, entry.revision)) {
        for (const w of woken) this.#wake(w);
        return result;
      }
      if (lost >= MAX_CONFLICTS) throw new UnavailableError(`flow: '${key}' kept changing`);
      // Many nodes on one key: spread the retries a little.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(lost + 1, 20)));
    }
  }

  #wake(w: FlowWaiter): void {
    this.opts.ready({
      executionId: w.id,
      workflowId: w.workflowId,
      ...(w.priority !== undefined && { priority: w.priority }),
    });
  }

  #note(id: string, docKey: string): string {
    let keys = this.#docsOf.get(id);
    if (!keys) this.#docsOf.set(id, (keys = new Set()));
    keys.add(docKey);
    return docKey;
  }

  #observe(e: FlowEntry): void {
    const prior = this.#view.get(e.key)?.doc;
    if (prior) for (const id of runsIn(prior)) this.#unname(id, e.key);
    if (e.doc) {
      this.#view.set(e.key, e);
      for (const id of runsIn(e.doc)) {
        let keys = this.#named.get(id);
        if (!keys) this.#named.set(id, (keys = new Set()));
        keys.add(e.key);
      }
    } else this.#view.delete(e.key);
    if (e.doc?.kind === 'r' || e.doc?.kind === 'd') this.#armWindow(e.key, e.doc);
  }

  #unname(id: string, key: string): void {
    const keys = this.#named.get(id);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) this.#named.delete(id);
  }

  /**
   * Wakes a rate document's waiters when its window next has room, a debounce document's latest
   * run when it is due (a timer on every node; one write wins).
   */
  #armWindow(key: string, doc: FlowDoc): void {
    const room = nextRoom(doc);
    const armed = this.#timers.get(key);
    if (room === undefined || this.#closed) return;
    if (armed && armed.at <= room) return;
    if (armed) this.opts.clock.clearTimeout(armed.handle);
    const delay = Math.max(0, room - this.opts.clock.now()) + 1;
    const handle = unrefTimer(
      this.opts.clock.setTimeout(() => {
        this.#timers.delete(key);
        this.#fillWindow(key);
      }, delay),
    );
    this.#timers.set(key, { at: room, handle });
  }

  #fillWindow(key: string): void {
    if (this.#closed) return;
    this.#change(key, undefined, (doc) => ({
      result: undefined,
      woken: wakeDue(doc, this.opts.clock.now()),
    }))
      .then(() => {
        const e = this.#view.get(key);
        if (e?.doc) this.#armWindow(key, e.doc);
      })
      .catch((err: unknown) => {
        this.opts.logger.warn({ err: String(err) }, 'flow: could not move a rate window');
        const e = this.#view.get(key);
        if (e?.doc) this.#armWindow(key, e.doc);
      });
  }

  #armSweep(): void {
    if (this.#closed) return;
    this.#sweep = unrefTimer(
      this.opts.clock.setTimeout(() => {
        this.#sweepOnce()
          .catch((err: unknown) => {
            this.opts.logger.warn({ err: String(err) }, 'flow: sweep failed');
          })
          .finally(() => this.#armSweep());
      }, this.opts.sweepMs ?? 2000),
    );
  }

  /** One sweep (flow-sweep.ts) over the documents as the watch shows them. */
  async #sweepOnce(): Promise<void> {
    const docs: Array<[string, FlowDoc]> = [];
    for (const [key, e] of this.#view) if (e.doc) docs.push([key, e.doc]);
    await sweepFlow(docs, {
      now: this.opts.clock.now(),
      requeueAfterMs: this.opts.requeueAfterMs ?? 30_000,
      runState: (id) => this.opts.runState(id),
      release: (id) => this.#release(id),
      touch: async (key, mark) => {
        await this.#change(key, undefined, (d) => ({ result: mark(d) }));
      },
      wake: (w) => this.#wake(w),
      absorb: (key, id, into) => this.#absorb(key, id, into),
      fillWindow: (key) => this.#fillWindow(key),
    });
  }
}

const REASONS = { d: 'debounce', c: 'runConcurrency', r: 'rateLimit' } as const;

function hold(reason: FlowWait['reason'], key: string, since: string): FlowVerdict {
  return { start: false, wait: { reason, key, since } };
}

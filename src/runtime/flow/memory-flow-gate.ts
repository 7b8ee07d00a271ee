/**
 * The in-process flow gate (embedded mode): per workflow and key, the runs holding a
 * `runConcurrency` slot and the start times of the `rateLimit` window, each with the runs
 * waiting for it in five priority lanes (FIFO within one). A freed slot is given to the next
 * waiter at once (kept for it while it travels back through the work queue, so a newcomer cannot
 * take it); a rate waiter is woken by a timer when the window lets one more start.
 * @module
 */
import { unrefTimer, type Clock, type TimerHandle } from '../../clock.ts';
import { flowKey } from '../../workflow/index.ts';
import { laneOf, PRIORITIES } from '../work-queue/index.ts';
import type {
  FlowGate,
  FlowReady,
  FlowRun,
  FlowSuperseded,
  FlowVerdict,
  FlowWait,
} from './types.ts';

/** Options of the in-process gate. */
export interface MemoryFlowGateOptions {
  clock: Clock;
  /** A held run may start now: queue it again (it starts when it comes back through `admit`). */
  ready(run: FlowReady): void;
  /** A debounced run was absorbed by a later one. */
  superseded?: FlowSuperseded;
}

/** The latest request of a debounce key, waiting for its burst to go quiet. */
interface Burst {
  id: string;
  latest: FlowRun;
  at: number;
  timer: TimerHandle;
}

/** One key of one workflow. */
class Bucket {
  constructor(readonly id: string) {}

  /** Runs holding a slot (running, or given one while they come back). */
  readonly holders = new Set<string>();
  /** Start times within the rate window, oldest first. */
  starts: number[] = [];
  readonly lanes: FlowRun[][] = PRIORITIES.map(() => []);
  /** Wakes rate waiters. */
  timer: TimerHandle | undefined;
  /** Forgets an idle rate window. */
  sweep: TimerHandle | undefined;
  waiting = 0;
  /** The limit last seen (a workflow's update applies from its next run). */
  limit = 1;

  hold(run: FlowRun): void {
    this.lanes[laneOf(run.priority)]!.push(run);
    this.waiting++;
  }

  next(): FlowRun | undefined {
    for (const lane of this.lanes) {
      const run = lane.shift();
      if (run) {
        this.waiting--;
        return run;
      }
    }
    return undefined;
  }

  drop(executionId: string): boolean {
    for (const lane of this.lanes) {
      const at = lane.findIndex((r) => r.executionId === executionId);
      if (at >= 0) {
        lane.splice(at, 1);
        this.waiting--;
        return true;
      }
    }
    return false;
  }
}

/** Per-key counters in this process. */
export class MemoryFlowGate implements FlowGate {
  readonly #slots = new Map<string, Bucket>();
  readonly #rates = new Map<string, Bucket>();
  /** The slot bucket each run holds a slot of. */
  readonly #slotOf = new Map<string, Bucket>();
  /** Where each held run waits. */
  readonly #heldIn = new Map<string, Bucket>();
  /** Runs woken by the rate window: their start is counted already. */
  readonly #rateTaken = new Set<string>();
  /** debounce: the latest run of each key, and the key each such run is latest of. */
  readonly #bursts = new Map<string, Burst>();
  readonly #burstOf = new Map<string, Burst>();
  /** Runs let go by their burst's end: they pass the debounce when they come back. */
  readonly #debounced = new Set<string>();
  #closed = false;

  constructor(private readonly opts: MemoryFlowGateOptions) {}

  async admit(run: FlowRun): Promise<FlowVerdict> {
    const { runConcurrency: conc, rateLimit: rate } = run.controls;
    const id = run.executionId;
    // Let go by its burst's end: it stays let go until it ends (another limit may hold it first).
    if (run.controls.debounce && !run.resumed && !this.#debounced.has(id)) {
      return this.#debounce(run);
    }
    if (conc) {
      const key = flowKey(conc.key, run.inputs);
      const bucket = bucketOf(this.#slots, run.workflowId, key);
      bucket.limit = conc.limit;
      if (!bucket.holders.has(id)) {
        if (!run.resumed && (bucket.holders.size >= conc.limit || bucket.waiting > 0)) {
          return this.#hold(bucket, run, 'runConcurrency', key);
        }
        bucket.holders.add(id);
        this.#slotOf.set(id, bucket);
      }
    }
    if (rate && !run.resumed && !this.#rateTaken.delete(id)) {
      const key = flowKey(rate.key, run.inputs);
      const bucket = bucketOf(this.#rates, run.workflowId, key);
      const now = this.opts.clock.now();
      prune(bucket, now - rate.perMs);
      if (bucket.starts.length >= rate.limit || bucket.waiting > 0) {
        // Its concurrency slot, if any, stays held: it is next in line there too.
        const verdict = this.#hold(bucket, run, 'rateLimit', key);
        this.#armRate(bucket, rate.limit, rate.perMs);
        return verdict;
      }
      bucket.starts.push(now);
      this.#forgetRateLater(bucket, rate.perMs);
    }
    return { start: true };
  }

  release(executionId: string): void {
    this.#rateTaken.delete(executionId);
    this.#debounced.delete(executionId);
    const burst = this.#burstOf.get(executionId);
    if (burst) {
      this.opts.clock.clearTimeout(burst.timer);
      this.#burstOf.delete(executionId);
      this.#bursts.delete(burst.id);
    }
    const held = this.#heldIn.get(executionId);
    if (held) {
      held.drop(executionId);
      this.#heldIn.delete(executionId);
    }
    const bucket = this.#slotOf.get(executionId);
    if (!bucket) return;
    this.#slotOf.delete(executionId);
    bucket.holders.delete(executionId);
    // Resumed runs may hold more than the limit: wake only into real room.
    while (!this.#closed && bucket.waiting > 0 && bucket.holders.size < bucket.limit) {
      const next = bucket.next()!;
      this.#heldIn.delete(next.executionId);
      bucket.holders.add(next.executionId);
      this.#slotOf.set(next.executionId, bucket);
      this.opts.ready(next);
    }
    if (bucket.holders.size === 0 && bucket.waiting === 0) this.#slots.delete(bucket.id);
  }

  waiting(): number {
    return this.#heldIn.size + this.#burstOf.size;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const b of this.#bursts.values()) this.opts.clock.clearTimeout(b.timer);
    for (const b of this.#rates.values()) {
      if (b.timer) this.opts.clock.clearTimeout(b.timer);
      if (b.sweep) this.opts.clock.clearTimeout(b.sweep);
    }
  }

  /**
   * d: the run becomes its key's latest (superseding the one before) unless it was requested
   * before the latest (then it is superseded itself); the latest goes on `periodMs` after it was
   * requested (`createdAt`), unless a later request of the key comes first.
   */
  #debounce(run: FlowRun): FlowVerdict {
    const { key: expr, periodMs } = run.controls.debounce!;
    const key = flowKey(expr, run.inputs);
    const id = `${run.workflowId}\u0000${key}`;
    const now = this.opts.clock.now();
    const at = run.createdAt ?? now;
    const since = new Date(now).toISOString();
    const prior = this.#bursts.get(id);
    const verdict: FlowVerdict = { start: false, wait: { reason: 'debounce', key, since } };
    if (prior?.latest.executionId === run.executionId) return verdict;
    if (
      prior &&
      (prior.at > at || (prior.at === at && prior.latest.executionId > run.executionId))
    ) {
      this.#supersede(run.executionId, prior.latest.executionId);
      return verdict;
    }
    if (prior) {
      this.opts.clock.clearTimeout(prior.timer);
      this.#burstOf.delete(prior.latest.executionId);
      this.#supersede(prior.latest.executionId, run.executionId);
    }
    const burst: Burst = {
      id,
      latest: run,
      at,
      timer: unrefTimer(
        this.opts.clock.setTimeout(
          () => {
            this.#bursts.delete(id);
            this.#burstOf.delete(run.executionId);
            if (this.#closed) return;
            this.#debounced.add(run.executionId);
            this.opts.ready(run);
          },
          Math.max(0, at + periodMs - now),
        ),
      ),
    };
    this.#bursts.set(id, burst);
    this.#burstOf.set(run.executionId, burst);
    return verdict;
  }

  /** Cancels an absorbed run (its failure is the canceller's to report). */
  #supersede(id: string, into: string): void {
    void Promise.resolve(this.opts.superseded?.(id, into)).catch(() => undefined);
  }

  #hold(bucket: Bucket, run: FlowRun, reason: FlowWait['reason'], key: string): FlowVerdict {
    bucket.hold(run);
    this.#heldIn.set(run.executionId, bucket);
    const since = new Date(this.opts.clock.now()).toISOString();
    return { start: false, wait: { reason, key, since } };
  }

  /** Forgets a key's window once its last start has left it (no waiters then). */
  #forgetRateLater(bucket: Bucket, perMs: number): void {
    if (bucket.sweep || this.#closed) return;
    const last = bucket.starts.at(-1) ?? this.opts.clock.now();
    bucket.sweep = unrefTimer(
      this.opts.clock.setTimeout(
        () => {
          bucket.sweep = undefined;
          prune(bucket, this.opts.clock.now() - perMs);
          if (bucket.waiting === 0 && bucket.starts.length === 0) this.#rates.delete(bucket.id);
          else if (bucket.waiting === 0) this.#forgetRateLater(bucket, perMs);
        },
        Math.max(0, last + perMs - this.opts.clock.now()) + 1,
      ),
    );
  }

  /** Wakes rate waiters as the window lets them start. */
  #armRate(bucket: Bucket, limit: number, perMs: number): void {
    if (bucket.timer || this.#closed) return;
    const oldest = bucket.starts[0];
    const delay = oldest === undefined ? 0 : Math.max(0, oldest + perMs - this.opts.clock.now());
    bucket.timer = unrefTimer(
      this.opts.clock.setTimeout(() => {
        bucket.timer = undefined;
        const now = this.opts.clock.now();
        prune(bucket, now - perMs);
        while (bucket.waiting > 0 && bucket.starts.length < limit) {
          const next = bucket.next()!;
          this.#heldIn.delete(next.executionId);
          bucket.starts.push(now);
          this.#rateTaken.add(next.executionId);
          this.opts.ready(next);
        }
        if (bucket.waiting > 0) this.#armRate(bucket, limit, perMs);
        else this.#forgetRateLater(bucket, perMs);
      }, delay),
    );
  }
}

function bucketOf(map: Map<string, Bucket>, workflowId: string, key: string): Bucket {
  const id = `${workflowId}\u0000${key}`;
  let bucket = map.get(id);
  if (!bucket) map.set(id, (bucket = new Bucket(id)));
  return bucket;
}

/** Forgets starts older than the window. */
function prune(bucket: Bucket, after: number): void {
  let n = 0;
  while (n < bucket.starts.length && bucket.starts[n]! <= after) n++;
  if (n > 0) bucket.starts = bucket.starts.slice(n);
}

/**
 * `maxQueuedExecutions` across the nodes of a cluster: one document per workflow in the queued
 * bucket (`<prefix>_queued`, queued-runs-doc.ts) holds the runs admitted and not yet taken from
 * the shared work queue. Only workflows that set the bound touch it, so others pay nothing.
 *
 * - Admission adds the run (`enter`) by a revision-checked write: two nodes can never both take
 *   the last place; the one that lost the race reads again and applies its change to the newer
 *   document. Changes asked for on one node while a write of the same document is in flight go
 *   together in the next write, so a burst costs a few round trips, not one per run.
 * - The node that takes the run's request from the stream removes it (`leave`); a request
 *   delivered again (its node died) removes it again, harmlessly.
 * - A sweep every `sweepMs` frees places nobody will free: a run admitted on a node killed before
 *   its record was written (no record after `graceMs`), or one cancelled, deleted or started
 *   while its removal was lost. It reads a bounded number of runs per sweep.
 * @module
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, StorageType } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import { sleep, unrefTimer, type Clock, type TimerHandle } from '../../clock.ts';
import { StatorError, UnavailableError } from '../../errors.ts';
import {
  applyQueuedOp,
  parseQueuedDoc,
  queuedDocKey,
  type QueuedDoc,
  type QueuedOp,
} from './queued-runs-doc.ts';
import { isKvConflict } from '../../store/index.ts';

/** What the store says of a run the sweep looks at. */
export type QueuedRunState = 'pending' | 'other' | 'missing';

/** Options of the shared per-workflow bound. */
export interface QueuedRunsOptions {
  connection: NatsConnection;
  /** The bucket's name (`SubjectSpace.buckets.queued`). */
  bucket: string;
  replicas: number;
  logger: Logger;
  clock: Clock;
  /** The run's record, for the sweep; absent: no sweep (places are freed only by takers). */
  runState?: (executionId: string) => Promise<QueuedRunState>;
  /** @default 5000 */
  sweepMs?: number;
  /** A place younger than this is never swept (its record may still be on its way). @default 10000 */
  graceMs?: number;
}

/** Writes one document may lose in a row before the change fails (UnavailableError). */
const MAX_CONFLICTS = 100;
/** Runs whose record one sweep reads at most. */
const SWEEP_CHECKS = 32;

interface Waiting {
  op: QueuedOp;
  done(granted: boolean): void;
  fail(err: unknown): void;
}

/** The queued bucket as one node uses it. */
export class QueuedRuns {
  readonly #waiting = new Map<string, { workflowId: string; ops: Waiting[] }>();
  readonly #writing = new Set<string>();
  /** When the sweep last read each run's record (the least recently read go first). */
  readonly #checkedAt = new Map<string, number>();
  #sweep: TimerHandle | undefined;
  #closed = false;

  private constructor(
    private readonly kv: KV,
    private readonly opts: QueuedRunsOptions,
  ) {}

  /** Opens (creating when missing) the bucket and starts the sweep. */
  static async open(opts: QueuedRunsOptions): Promise<QueuedRuns> {
    const kv = await new Kvm(jetstream(opts.connection)).create(opts.bucket, {
      history: 1,
      replicas: opts.replicas,
      storage: StorageType.File,
    });
    const runs = new QueuedRuns(kv, opts);
    runs.#armSweep();
    return runs;
  }

  /** Holds a place for `executionId` among at most `limit` of `workflowId`; false when full. */
  enter(workflowId: string, executionId: string, limit: number): Promise<boolean> {
    return this.#submit(workflowId, {
      kind: 'enter',
      executionId,
      limit,
      at: this.opts.clock.now(),
    });
  }

  /** Frees the place of `executionId` (in the background; the sweep repairs a lost one). */
  leave(workflowId: string, executionId: string): void {
    this.#submit(workflowId, { kind: 'leave', executionId }).catch((err: unknown) => {
      this.opts.logger.warn({ err, executionId }, 'queued: could not free a place');
    });
  }

  close(): void {
    this.#closed = true;
    if (this.#sweep) this.opts.clock.clearTimeout(this.#sweep);
  }

  #submit(workflowId: string, op: QueuedOp): Promise<boolean> {
    return new Promise((done, fail) => {
      const key = queuedDocKey(workflowId);
      let entry = this.#waiting.get(key);
      if (!entry) this.#waiting.set(key, (entry = { workflowId, ops: [] }));
      entry.ops.push({ op, done, fail });
      if (!this.#writing.has(key)) void this.#flush(key);
    });
  }

  /** Writes the changes waiting for `key`, a batch at a time, until none is left. */
  async #flush(key: string): Promise<void> {
    this.#writing.add(key);
    try {
      for (let batch = this.#waiting.get(key); batch; batch = this.#waiting.get(key)) {
        this.#waiting.delete(key);
        try {
          const granted = await this.#write(key, batch.workflowId, batch.ops);
          batch.ops.forEach((w, i) => w.done(granted[i]!));
        } catch (err) {
          // The bound cannot be checked: the run is refused (retryable), never let past it.
          const error =
            err instanceof StatorError
              ? err
              : new UnavailableError(`queued: could not read '${key}': ${String(err)}`, err);
          for (const w of batch.ops) w.fail(error);
        }
      }
    } finally {
      this.#writing.delete(key);
    }
  }

  /** Applies `ops` in order to the document as read and writes it at the revision read. */
  async #write(key: string, workflowId: string, ops: Waiting[]): Promise<boolean[]> {
    for (let lost = 0; ; lost++) {
      const e = await this.kv.get(key);
      const doc: QueuedDoc =
        e?.operation === 'PUT' ? parseQueuedDoc(e.value) : { workflowId, runs: {} };
      const before = JSON.stringify(doc.runs);
      const granted = ops.map((w) => applyQueuedOp(doc, w.op));
      if (JSON.stringify(doc.runs) === before) return granted;
      if (await this.#put(key, doc, e?.revision ?? 0)) return granted;
      if (lost >= MAX_CONFLICTS) throw new UnavailableError(`queued: '${key}' kept changing`);
      // Several nodes on one workflow: spread the retries a little.
      await sleep(this.opts.clock, Math.random() * Math.min(lost + 1, 20));
    }
  }

  async #put(key: string, doc: QueuedDoc, revision: number): Promise<boolean> {
    const data = JSON.stringify(doc);
    try {
      // A deleted key has a revision (its delete marker): update at it, as create would.
      if (revision === 0) await this.kv.create(key, data);
      else await this.kv.update(key, data, revision);
      return true;
    } catch (err) {
      if (isKvConflict(err)) return false;
      throw new UnavailableError(`queued: could not write '${key}': ${String(err)}`, err);
    }
  }

  #armSweep(): void {
    if (this.#closed || !this.opts.runState) return;
    this.#sweep = unrefTimer(
      this.opts.clock.setTimeout(() => {
        this.#sweepOnce()
          .catch((err: unknown) => this.opts.logger.warn({ err }, 'queued: sweep failed'))
          .finally(() => this.#armSweep());
      }, this.opts.sweepMs ?? 5000),
    );
  }

  /** Frees the places of runs past the grace that are no longer waiting (see the module doc). */
  async #sweepOnce(): Promise<void> {
    const runState = this.opts.runState!;
    const now = this.opts.clock.now();
    const graceMs = this.opts.graceMs ?? 10_000;
    const old: Array<{ workflowId: string; id: string; checked: number }> = [];
    const seen = new Set<string>();
    for await (const key of await this.kv.keys()) {
      const e = await this.kv.get(key);
      if (e?.operation !== 'PUT') continue;
      const doc = parseQueuedDoc(e.value);
      for (const [id, at] of Object.entries(doc.runs)) {
        seen.add(id);
        if (now - at < graceMs) continue;
        old.push({ workflowId: doc.workflowId, id, checked: this.#checkedAt.get(id) ?? 0 });
      }
    }
    for (const id of this.#checkedAt.keys()) if (!seen.has(id)) this.#checkedAt.delete(id);
    old.sort((a, b) => a.checked - b.checked);
    for (const { workflowId, id } of old.slice(0, SWEEP_CHECKS)) {
      if (this.#closed) return;
      this.#checkedAt.set(id, now);
      if ((await runState(id)) !== 'pending') this.leave(workflowId, id);
    }
  }
}

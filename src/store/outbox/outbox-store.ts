/**
 * `withOutbox(store)`: the writes of runs already accepted (execution fields, step records,
 * step output, session records and trigger states) survive a store that cannot be reached for a
 * while (a NATS restart, a lost JetStream leader). A write that fails as `unavailable` waits in a
 * bounded queue and is retried in order until the store takes it; its promise settles only
 * then, so the event pipeline still publishes each event after its record is stored. Writes
 * that accept new work (createExecution, claims, workflow definitions) and every read are not
 * queued: they fail at once, and the caller answers `unavailable` rather than accepting
 * something it cannot keep.
 *
 * Records are upserts, so a write retried after a later write of the same record would
 * overwrite newer state with older. Each queued write therefore knows what came after it: a
 * step record, session or trigger state written again later is dropped unsent, and an execution
 * patch is sent with only the fields no later patch sets. Step output is appended as it is (at
 * least once: an append that timed out may have been stored and is then stored twice).
 *
 * A cluster node that lost a run or a session to another node (leases/) must not write its
 * record any more: `dropWritesOf` names them, and their queued writes are refused (`conflict`)
 * instead of sent, so a stale node's outbox never overwrites what the new owner stored.
 * @module
 */
import type { Logger } from 'pino';
import { ConflictError, UnavailableError } from '../../errors.ts';
import { sleep as sleepOn, systemClock, type Clock } from '../../clock.ts';
import { EXECUTION_PATCH_FIELDS, type ExecutionPatch } from '../roles/index.ts';
import type { Store } from '../types.ts';
import { RetryQueue, type RetryQueueStatus } from './retry-queue.ts';
import { isUnreachable } from './unreachable.ts';

/** Options of the outbox. */
export interface OutboxOptions {
  logger: Logger;
  /** Writes waiting at most; more fail as `unavailable`. @default 100000 */
  limit?: number;
  /** How long `close()` waits for waiting writes before dropping them. @default 5000 */
  closeTimeoutMs?: number;
  /** Times the retries (and reads their age). @default systemClock */
  clock?: Clock;
  /** Overrides the clock's reading (tests). */
  now?: () => number;
  /** Overrides the pause between retries (tests). */
  sleep?: (ms: number) => Promise<void>;
}

/** The outbox's state, for health. */
export type OutboxStatus = RetryQueueStatus;

/** Whose record a write changes. */
export interface WriteOwner {
  kind: 'execution' | 'session';
  id: string;
}

/** A store whose accepted-run writes wait out unreachability. */
export interface OutboxStore extends Store {
  outbox(): OutboxStatus;
  /**
   * From now on, a queued write of a record `lost(owner)` names is refused (`conflict`) instead
   * of sent: this node lost that run or session to another one.
   */
  dropWritesOf(lost: (owner: WriteOwner) => boolean): void;
}

/** Wraps `inner` (see the module comment). */
export function withOutbox(inner: Store, opts: OutboxOptions): OutboxStore {
  const clock = opts.clock ?? systemClock;
  const now = opts.now ?? (() => clock.now());
  const sleep = opts.sleep ?? ((ms: number) => sleepOn(clock, ms));
  const queue = new RetryQueue({
    limit: opts.limit ?? 100_000,
    minDelayMs: 100,
    maxDelayMs: 2000,
    now,
    sleep,
    onChange: (s) => {
      if (s.failingSince !== null) {
        opts.logger.warn({ err: s.lastError }, 'store unreachable: writes wait in the outbox');
      } else {
        opts.logger.info('store reachable again: the outbox is empty');
      }
    },
  });
  /**
   * Per record key (and per execution field): the sequence of its latest write and how many
   * of its writes are still unsettled (the entry is dropped when none is).
   */
  const latest = new Map<string, { n: number; open: number }>();
  let seq = 0;
  let lost: (owner: WriteOwner) => boolean = () => false;
  /** `send`, unless its owner was lost meanwhile (checked when a queued write is retried). */
  const owned =
    (owner: WriteOwner, send: () => Promise<void>): (() => Promise<void>) =>
    () =>
      lost(owner)
        ? Promise.reject(
            new ConflictError(
              `${owner.kind} '${owner.id}' belongs to another node now: write dropped`,
            ),
          )
        : send();

  const stamp = (key: string): number => {
    const n = ++seq;
    const entry = latest.get(key);
    if (entry) {
      entry.n = n;
      entry.open++;
    } else latest.set(key, { n, open: 1 });
    return n;
  };
  const newer = (key: string, n: number) => (latest.get(key)?.n ?? 0) > n;
  const forget = (key: string) => {
    const entry = latest.get(key);
    if (entry && --entry.open === 0) latest.delete(key);
  };

  /** Sends `write` now; on unreachability queues `retry`, settled when the store takes it. */
  const attempt = (
    label: string,
    write: () => Promise<void>,
    retry: () => Promise<void>,
    superseded: () => boolean,
    done: () => void,
  ): Promise<void> => {
    return write().then(done, (err: unknown) => {
      if (!isUnreachable(err)) {
        done();
        throw err;
      }
      return new Promise<void>((resolve, reject) => {
        queue.add(
          {
            label,
            send: retry,
            superseded,
            resolve: () => {
              done();
              resolve();
            },
            reject: (e) => {
              done();
              reject(e);
            },
          },
          err,
        );
      });
    });
  };

  /** A whole-record upsert: dropped when the record was written again later. */
  const upsert = (
    label: string,
    key: string,
    owner: WriteOwner | undefined,
    write: () => Promise<void>,
  ): Promise<void> => {
    const n = stamp(key);
    return attempt(
      label,
      write,
      owner ? owned(owner, write) : write,
      () => newer(key, n),
      () => forget(key),
    );
  };

  const updateExecution = (id: string, patch: ExecutionPatch): Promise<void> => {
    const fields = EXECUTION_PATCH_FIELDS.filter((f) => patch[f] !== undefined);
    const stamps = fields.map((f) => [`x:${id}:${f}`, stamp(`x:${id}:${f}`)] as const);
    /** The fields no later patch of this execution sets. */
    const still = (): ExecutionPatch => {
      const rest: Record<string, unknown> = {};
      for (const [i, f] of fields.entries()) {
        if (!newer(stamps[i]![0], stamps[i]![1])) rest[f] = patch[f];
      }
      return rest as ExecutionPatch;
    };
    return attempt(
      `updateExecution ${id}`,
      () => inner.updateExecution(id, patch),
      owned({ kind: 'execution', id }, () => inner.updateExecution(id, still())),
      () => stamps.length > 0 && Object.keys(still()).length === 0,
      () => {
        for (const [key] of stamps) forget(key);
      },
    );
  };

  let closing: Promise<void> | undefined;

  return {
    ...bindAll(inner),
    kind: inner.kind,
    outbox: () => queue.status(),
    dropWritesOf: (test) => void (lost = test),
    updateExecution,
    putStep: (executionId, step) =>
      upsert(
        `putStep ${executionId}/${step.id}`,
        `s:${executionId}:${step.id}`,
        { kind: 'execution', id: executionId },
        () => inner.putStep(executionId, step),
      ),
    appendLogs: (executionId, lines) => {
      const write = () => inner.appendLogs(executionId, lines);
      return attempt(
        `appendLogs ${executionId}`,
        write,
        owned({ kind: 'execution', id: executionId }, write),
        () => false,
        () => undefined,
      );
    },
    putSession: (record) =>
      upsert(
        `putSession ${record.id}`,
        `session:${record.id}`,
        { kind: 'session', id: record.id },
        () => inner.putSession(record),
      ),
    // Trigger states are written by whichever node fires; no lease owns them.
    putTriggerState: (state) =>
      upsert(`putTriggerState ${state.id}`, `trigger:${state.id}`, undefined, () =>
        inner.putTriggerState(state),
      ),
    close() {
      closing ??= (async () => {
        const deadline = now() + (opts.closeTimeoutMs ?? 5000);
        while (queue.status().pending > 0 && now() < deadline) await sleep(50);
        const left = queue.status().pending;
        if (left > 0)
          opts.logger.error({ writes: left }, 'closing with writes still in the outbox');
        queue.close(new UnavailableError('store closed before the outbox was written'));
        await inner.close();
      })();
      return closing;
    },
  };
}

/** Every method of `store` (own or inherited), bound to it; the outbox overrides its writes. */
function bindAll(store: Store): Store {
  const bound: Record<string, unknown> = {};
  for (let o: object | null = store; o !== null && o !== Object.prototype;) {
    for (const name of Object.getOwnPropertyNames(o)) {
      const value: unknown = Reflect.get(store, name);
      if (name in bound || name === 'constructor' || typeof value !== 'function') continue;
      bound[name] = (value as (...args: unknown[]) => unknown).bind(store);
    }
    o = Object.getPrototypeOf(o) as object | null;
  }
  return bound as unknown as Store;
}

/**
 * Revision-checked KV writes. `modify(key, fn)` reads the value and its revision, applies `fn`
 * and writes the result only if the key is still at that revision (`kv.create` for a missing
 * key, `kv.update` otherwise); when another writer got there first it re-reads and applies `fn`
 * again, up to `maxAttempts`, so concurrent writers never lose each other's fields.
 *
 * Two things keep the common case at one round trip: writes to one key from this object run one
 * after another (they never conflict with each other), and the last revision and value written
 * or read are remembered in a bounded cache, so an update usually needs no read first. A stale
 * cache entry costs one failed write and a re-read, never a lost update. The cache can also
 * hold a key as known to be missing (`assumeMissing`): its first write is then a `kv.create`
 * with no read, which fails and re-reads if another writer created it meanwhile.
 * @module
 */
import type { KV, KvEntry } from '@nats-io/kv';
import { isWrongLastSequence, tooManyConflicts } from './jetstream-errors.ts';

/** A value and the revision it was read or written at. */
export interface Versioned<T> {
  value: T;
  revision: number;
}

/** Returned by a modify function to leave the key as it is. */
export const KEEP: unique symbol = Symbol('keep');

/** What one modify did: the value it started from and the value now stored. */
export interface Modified<T> {
  previous: Versioned<T> | null;
  current: Versioned<T> | null;
}

/** Revision-checked JSON values in one KV bucket. */
export interface RevisionedKv {
  readonly kv: KV;
  /** Reads a value (from the cache when `cached` and known); null when missing or deleted. */
  get<T>(key: string, cached?: boolean): Promise<Versioned<T> | null>;
  /** Applies `fn` to the current value and stores the result; see the module comment. */
  modify<T>(
    key: string,
    fn: (current: Versioned<T> | null) => T | typeof KEEP,
  ): Promise<Modified<T>>;
  /** Writes without a revision check (keys the caller owns alone) and remembers the revision. */
  put<T>(key: string, value: T): Promise<number>;
  /** Creates a key that must not exist; rejects with the server's error when it does. */
  create<T>(key: string, value: T): Promise<number>;
  /** Deletes a key (leaving a delete marker); resolves to the value it held, null when none. */
  remove<T>(key: string): Promise<Versioned<T> | null>;
  /** Remembers `key` as missing (this object knows nobody wrote it), if it is not cached. */
  assumeMissing(key: string): void;
}

const encoder = new TextEncoder();
/** JSON bytes of a value. */
export const encodeJson = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

/** The JSON value of a live entry, or null for a missing or deleted one. */
export function entryValue<T>(entry: KvEntry | null): Versioned<T> | null {
  if (entry === null || entry.operation !== 'PUT') return null;
  return { value: entry.json<T>(), revision: entry.revision };
}

/** Wraps `kv` with revision-checked writes, a per-key write queue and a cache of `cacheEntries`. */
export function createRevisionedKv(
  kv: KV,
  opts: { cacheEntries: number; maxAttempts: number },
): RevisionedKv {
  /** Last known value per key; null: known to be missing. */
  const cache = new Map<string, Versioned<unknown> | null>();
  const tails = new Map<string, Promise<unknown>>();

  const remember = (key: string, v: Versioned<unknown> | null, missing = false): void => {
    if (opts.cacheEntries === 0) return;
    cache.delete(key);
    if (v === null && !missing) return;
    cache.set(key, v);
    if (cache.size > opts.cacheEntries) cache.delete(cache.keys().next().value!);
  };

  const read = async <T>(key: string): Promise<Versioned<T> | null> => {
    const v = entryValue<T>(await kv.get(key));
    // A read that confirms a key known to be missing keeps it known (no read before its create).
    remember(key, v, v === null && cache.get(key) === null);
    return v;
  };

  /** Runs `task` after every earlier task of `key` from this object has settled. */
  const serial = <R>(key: string, task: () => Promise<R>): Promise<R> => {
    const run = (tails.get(key) ?? Promise.resolve()).then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };

  return {
    kv,

    async get<T>(key: string, cached = false) {
      if (cached) {
        const hit = cache.get(key);
        if (hit !== undefined) return hit as Versioned<T> | null;
      }
      return read<T>(key);
    },

    modify<T>(key: string, fn: (current: Versioned<T> | null) => T | typeof KEEP) {
      return serial(key, async (): Promise<Modified<T>> => {
        const hit = cache.get(key) as Versioned<T> | null | undefined;
        let current = hit !== undefined ? hit : await read<T>(key);
        let fresh = hit === undefined;
        for (let attempt = 1; attempt <= opts.maxAttempts; attempt++) {
          let next: T | typeof KEEP;
          try {
            next = fn(current);
          } catch (err) {
            // A refusal based on a cached value is checked once against the stored one.
            if (fresh) throw err;
            current = await read<T>(key);
            fresh = true;
            next = fn(current);
          }
          if (next === KEEP) return { previous: current, current };
          try {
            const data = encodeJson(next);
            const revision =
              current === null
                ? await kv.create(key, data)
                : await kv.update(key, data, current.revision);
            const written = { value: next, revision };
            remember(key, written);
            return { previous: current, current: written };
          } catch (err) {
            if (!isWrongLastSequence(err)) throw err;
            current = await read<T>(key);
            fresh = true;
          }
        }
        throw tooManyConflicts(key, opts.maxAttempts);
      });
    },

    put<T>(key: string, value: T) {
      return serial(key, async () => {
        const revision = await kv.put(key, encodeJson(value));
        remember(key, { value, revision });
        return revision;
      });
    },

    create<T>(key: string, value: T) {
      return serial(key, async () => {
        const revision = await kv.create(key, encodeJson(value));
        remember(key, { value, revision });
        return revision;
      });
    },

    assumeMissing(key: string) {
      if (!cache.has(key)) remember(key, null, true);
    },

    remove<T>(key: string) {
      return serial(key, async () => {
        const current = await read<T>(key);
        if (current !== null) await kv.delete(key);
        remember(key, null);
        return current;
      });
    },
  };
}

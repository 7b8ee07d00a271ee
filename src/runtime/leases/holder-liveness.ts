/**
 * What this node knows of every holder (node incarnation) from the lease bucket's watch, judged
 * on this node's own clock only: a holder whose beat (its key's revision) has not changed for a
 * TTL is `silent`, and may be declared dead (a revision-checked write, so a beat that lands
 * first wins). No clocks are compared across machines. A holder whose key is gone (deleted, or
 * never seen for a TTL while leases name it) is `gone`: it can never beat again either.
 * While this node's own beats fail it cannot tell a silent holder from its own silence, so it
 * judges nobody, and it forgets what it saw (`restart`) once it is back.
 * @module
 */
import type { HolderValue } from './lease-records.ts';

interface Seen {
  key?: string;
  revision: number;
  /** Local time the current revision was first seen. */
  since: number;
  state: 'alive' | 'dead' | 'gone' | 'unknown';
  by?: string;
}

/** How a holder stands, seen from here. */
export type HolderStanding = 'alive' | 'silent' | 'dead';

/** The holders seen on the watch. */
export class HolderLiveness {
  readonly #seen = new Map<string, Seen>();
  readonly #byKey = new Map<string, string>();

  constructor(private readonly ttlMs: number) {}

  /** A holder entry from the watch. */
  put(key: string, revision: number, value: HolderValue, now: number): void {
    const prior = this.#seen.get(value.holder);
    this.#byKey.set(key, value.holder);
    if (prior && prior.revision === revision) return;
    this.#seen.set(value.holder, {
      key,
      revision,
      since: now,
      state: value.state,
      ...(value.by !== undefined && { by: value.by }),
    });
  }

  /** A holder key deleted on the watch. */
  deleted(key: string, now: number): void {
    const holder = this.#byKey.get(key);
    if (holder === undefined) return;
    this.#byKey.delete(key);
    this.#seen.set(holder, { revision: 0, since: now, state: 'gone' });
  }

  /** True once the holder's key was seen on the watch. */
  seen(holder: string): boolean {
    const s = this.#seen.get(holder);
    return s !== undefined && s.state !== 'unknown';
  }

  /** How `holder` stands at `now` (a holder never seen is noted, and gone after a TTL). */
  standing(holder: string, now: number): HolderStanding {
    let seen = this.#seen.get(holder);
    if (!seen) {
      seen = { revision: 0, since: now, state: 'unknown' };
      this.#seen.set(holder, seen);
    }
    if (seen.state === 'dead' || seen.state === 'gone') return 'dead';
    if (now - seen.since <= this.ttlMs) return 'alive';
    return seen.state === 'unknown' ? 'dead' : 'silent';
  }

  /** Holders alive by their key whose beat has been silent for a TTL, with their key. */
  silent(now: number, self: string): Array<{ holder: string; key: string; revision: number }> {
    const out: Array<{ holder: string; key: string; revision: number }> = [];
    for (const [holder, s] of this.#seen) {
      if (holder === self || s.state !== 'alive' || s.key === undefined) continue;
      if (now - s.since > this.ttlMs) out.push({ holder, key: s.key, revision: s.revision });
    }
    return out;
  }

  /** Dead holders that `self` declared dead, with their key and revision (to clean up). */
  declaredBy(
    self: string,
  ): Array<{ holder: string; key: string; revision: number; since: number }> {
    const out: Array<{ holder: string; key: string; revision: number; since: number }> = [];
    for (const [holder, s] of this.#seen) {
      if (s.state === 'dead' && s.by === self && s.key !== undefined) {
        out.push({ holder, key: s.key, revision: s.revision, since: s.since });
      }
    }
    return out;
  }

  /** Starts every observation again at `now` (after this node's own silence). */
  restart(now: number): void {
    for (const s of this.#seen.values()) s.since = now;
  }
}

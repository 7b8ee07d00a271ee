/**
 * The runs and sessions this node lost to another node, remembered so that nothing of them is
 * written any more (the outbox drops their queued writes, outbox-store.ts). Bounded: the oldest
 * are forgotten past `limit`, long after their queued writes were retried (an outbox drains in
 * order, and a lost run's writes were queued before it was lost).
 * @module
 */
import type { LeaseKind } from './lease-names.ts';

/** How many lost leases are remembered at most. */
export const LOST_LEASES_LIMIT = 100_000;

/** A bounded set of lost leases, oldest forgotten first. */
export class LostLeases {
  readonly #keys = new Set<string>();

  constructor(private readonly limit = LOST_LEASES_LIMIT) {}

  add(kind: LeaseKind, id: string): void {
    const key = `${kind}:${id}`;
    this.#keys.delete(key); // re-inserted as the newest
    this.#keys.add(key);
    if (this.#keys.size > this.limit) {
      this.#keys.delete(this.#keys.values().next().value as string);
    }
  }

  has(kind: LeaseKind, id: string): boolean {
    return this.#keys.has(`${kind}:${id}`);
  }

  get size(): number {
    return this.#keys.size;
  }
}

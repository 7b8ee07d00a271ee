/**
 * The claims role of the Store: idempotency keys, each held by the first run started for it
 * within its retention window.
 * @module
 */

/** One idempotency claim: the first run started for a key within its retention window. */
export interface IdempotencyClaim {
  /** What the key is scoped to, e.g. `hook:<path>`. */
  scope: string;
  key: string;
  executionId: string;
  createdAt: string;
  expiresAt: string;
}

/** Stores idempotency claims. */
export interface ClaimStore {
  /**
   * Claims an idempotency key atomically: when an unexpired claim of `scope`+`key` exists,
   * returns it with `created: false`; otherwise stores this one and returns `created: true`.
   * Expired claims are replaced (and may be purged at any time). A stored claim is expired when
   * its `expiresAt` is not later than the new claim's `createdAt` (the caller's clock). Throws
   * InvalidArgumentError for an empty or over-256-character scope/key, an empty executionId, or
   * times that are not ISO-8601 with `expiresAt` after `createdAt`.
   */
  claimIdempotencyKey(
    claim: IdempotencyClaim,
  ): Promise<{ claim: IdempotencyClaim; created: boolean }>;
}

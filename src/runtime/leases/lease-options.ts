/**
 * Options of the leases: given as LeaseOptions, resolved once (zod) into ResolvedLeaseOptions.
 * Everything derives from the TTL: a holder beats every TTL/3; it trusts its own leases for
 * TTL - TTL/3 after sending a beat that then succeeded (so it stops trusting them before any
 * other node may judge it dead, which takes TTL of an unchanged beat seen from outside); every
 * node sweeps for dead holders every TTL/3, at most every second.
 * @module
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../../errors.ts';

/** @default 10000 */
export const DEFAULT_LEASE_TTL_MS = 10_000;
/** Shortest TTL: below it a busy event loop misses beats. */
export const MIN_LEASE_TTL_MS = 1000;
/** Longest TTL (10 minutes). */
export const MAX_LEASE_TTL_MS = 600_000;

/** Options of the leases. */
export interface LeaseOptions {
  /**
   * How long a node's leases outlive its last heartbeat; another node takes its runs over after
   * that (`STATOR_LEASE_TTL`, `--lease-ttl`). @default 10000
   */
  ttlMs?: number;
}

/** Options after defaults and validation. */
export interface ResolvedLeaseOptions {
  ttlMs: number;
  /** Between two heartbeats: TTL/3. */
  beatMs: number;
  /** How long after sending a successful beat the holder trusts its leases: TTL - TTL/3. */
  trustMs: number;
  /** Between two sweeps for dead holders and released leases. */
  sweepMs: number;
}

const schema = z.object({
  ttlMs: z.number().int().min(MIN_LEASE_TTL_MS).max(MAX_LEASE_TTL_MS).default(DEFAULT_LEASE_TTL_MS),
});

/** Merges defaults and validates once, naming the offending field. */
export function resolveLeaseOptions(input: LeaseOptions = {}): ResolvedLeaseOptions {
  const parsed = schema.safeParse({ ttlMs: input.ttlMs });
  if (!parsed.success) {
    throw InvalidArgumentError.format(
      parsed.error.issues.map((i) => ({ path: `leases.${i.path.join('.')}`, message: i.message })),
    );
  }
  const { ttlMs } = parsed.data;
  const beatMs = Math.floor(ttlMs / 3);
  return { ttlMs, beatMs, trustMs: ttlMs - beatMs, sweepMs: Math.min(1000, beatMs) };
}

/**
 * ClaimStore conformance: first claim wins, scopes and keys apart, expiry judged at the new
 * claim's createdAt, one winner among concurrent claims, malformed claims refused.
 * @module
 */
import { describe, expect, it } from 'vitest';
import type { IdempotencyClaim } from '../../../src/store/index.ts';
import {
  claim,
  HOUR_LATER,
  T0,
  T1,
  TWO_HOURS_LATER,
  useStores,
  type StoreConformanceOptions,
} from './fixtures.ts';

/** Registers the ClaimStore cases; call it inside a describe that names the store. */
export function runClaimStoreConformance(opts: StoreConformanceOptions): void {
  describe('idempotency claims', () => {
    const { open } = useStores(opts);

    it('creates the first claim and returns it to every later one', async () => {
      const store = await open();
      const first = claim('k-1');
      expect(await store.claimIdempotencyKey(first)).toEqual({ claim: first, created: true });
      const second = claim('k-1', { createdAt: T1 });
      const again = await store.claimIdempotencyKey(second);
      expect(again).toEqual({ claim: first, created: false });
      expect(again.claim.executionId).not.toBe(second.executionId);
    });

    it('keeps scopes and keys independent', async () => {
      const store = await open();
      const a = claim('k');
      const otherKey = claim('k2');
      const otherScope = claim('k', { scope: 'hook:other' });
      const odd = claim('key with spaces/and.dots', { scope: 'hook:a.b/c' });
      for (const c of [a, otherKey, otherScope, odd]) {
        expect(await store.claimIdempotencyKey(c)).toEqual({ claim: c, created: true });
      }
      expect(await store.claimIdempotencyKey(claim('k'))).toEqual({ claim: a, created: false });
      expect(
        await store.claimIdempotencyKey(claim('key with spaces/and.dots', { scope: 'hook:a.b/c' })),
      ).toEqual({ claim: odd, created: false });
    });

    it('replaces an expired claim, judged at the new claim’s createdAt', async () => {
      const store = await open();
      const old = claim('k');
      await store.claimIdempotencyKey(old);
      // Still live one millisecond before it expires.
      const early = claim('k', {
        createdAt: '2026-01-01T00:59:59.999Z',
        expiresAt: TWO_HOURS_LATER,
      });
      expect(await store.claimIdempotencyKey(early)).toEqual({ claim: old, created: false });
      const late = claim('k', { createdAt: HOUR_LATER, expiresAt: TWO_HOURS_LATER });
      expect(await store.claimIdempotencyKey(late)).toEqual({ claim: late, created: true });
      const after = claim('k', {
        createdAt: '2026-01-01T01:30:00.000Z',
        expiresAt: TWO_HOURS_LATER,
      });
      expect(await store.claimIdempotencyKey(after)).toEqual({ claim: late, created: false });
    });

    it('lets exactly one of 10 concurrent claims of a key create it', async () => {
      const store = await open();
      const claims = Array.from({ length: 10 }, () => claim('race'));
      const results = await Promise.all(claims.map((c) => store.claimIdempotencyKey(c)));
      const winners = results.filter((r) => r.created);
      expect(winners).toHaveLength(1);
      const won = winners[0]!.claim;
      expect(claims.map((c) => c.executionId)).toContain(won.executionId);
      for (const r of results) expect(r.claim).toEqual(won);
    });

    it('rejects a malformed claim as an invalid argument', async () => {
      const store = await open();
      const bad: IdempotencyClaim[] = [
        claim(''),
        claim('k', { scope: '' }),
        claim('x'.repeat(257)),
        claim('k', { executionId: '' }),
        claim('k', { createdAt: 'yesterday' }),
        claim('k', { expiresAt: T0 }),
      ];
      for (const c of bad) {
        await expect(store.claimIdempotencyKey(c)).rejects.toMatchObject({
          code: 'invalid_argument',
        });
      }
      const ok = claim('k');
      expect(await store.claimIdempotencyKey(ok)).toEqual({ claim: ok, created: true });
    });
  });
}

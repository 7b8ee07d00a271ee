/**
 * SessionStore conformance: put, get, replace, list by id, delete, copies, optional fields, and
 * persistence across reopen when the implementation has it.
 * @module
 */
import { describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../../src/store/index.ts';
import { sessionRecord, T1, T2, useStores, type StoreConformanceOptions } from './fixtures.ts';

/** Registers the SessionStore cases; call it inside a describe that names the store. */
export function runSessionStoreConformance(opts: StoreConformanceOptions): void {
  describe('sessions', () => {
    const { open, track } = useStores(opts);

    it('puts, gets, replaces, lists by id and deletes', async () => {
      const store = await open();
      expect(await store.getSession('ses_b')).toBeUndefined();
      expect(await store.listSessions()).toEqual([]);
      const b = sessionRecord('ses_b');
      const a = sessionRecord('ses_a', {
        status: 'stopped',
        activity: null,
        pid: null,
        exitCode: 0,
        startedAt: null,
        awaitingSince: null,
      });
      await store.putSession(b);
      await store.putSession(a);
      expect(await store.getSession('ses_b')).toEqual(b);
      expect(await store.listSessions()).toEqual([a, b]);
      const replaced = sessionRecord('ses_b', {
        status: 'crashed',
        activity: null,
        lastError: 'exited with code 1',
        exitCode: 1,
        restarts: 2,
        recentRestarts: [T1, T2],
        updatedAt: T2,
      });
      await store.putSession(replaced);
      expect(await store.getSession('ses_b')).toEqual(replaced);
      expect(await store.deleteSession('ses_a')).toBe(true);
      expect(await store.deleteSession('ses_a')).toBe(false);
      expect(await store.deleteSession('never-stored')).toBe(false);
      expect(await store.listSessions()).toEqual([replaced]);
      await store.putSession(a);
      expect(await store.getSession('ses_a')).toEqual(a);
    });

    it('copies records in and out', async () => {
      const store = await open();
      const record = sessionRecord('ses_c');
      await store.putSession(record);
      record.definition.tags.push('changed');
      record.recentRestarts.push(T2);
      const got = await store.getSession('ses_c');
      expect(got).toEqual(sessionRecord('ses_c'));
      (got!.definition.preferences.pinned as { order: number }).order = 9;
      expect((await store.listSessions())[0]!.definition.preferences).toEqual({
        color: 'blue',
        pinned: { order: 1 },
      });
    });

    it('fills optional fields and refuses an empty id', async () => {
      const store = await open();
      const sparse = { ...sessionRecord('ses_d') } as Partial<SessionRecord>;
      delete sparse.awaitingSince;
      delete sparse.node;
      await store.putSession(sparse as SessionRecord);
      expect(await store.getSession('ses_d')).toMatchObject({ awaitingSince: null, node: null });
      await expect(store.putSession(sessionRecord(''))).rejects.toMatchObject({
        code: 'invalid_argument',
      });
    });

    if (opts.reopen !== undefined) {
      const reopen = opts.reopen;
      it('keeps sessions across close and reopen', async () => {
        const first = await open();
        const record = sessionRecord('ses_e');
        await first.putSession(record);
        const second = await reopen(first);
        track(second);
        expect(await second.getSession('ses_e')).toEqual(record);
        expect(await second.listSessions()).toEqual([record]);
      });
    }
  });
}

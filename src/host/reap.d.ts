// Generated from reap.js: see test/unit/host/declarations.test.ts. Do not edit.
/**
 * @typedef {object} ReapReport
 * @property {HeldProcessInfo[]} lost entries lost with a dead host (killed now or earlier, or
 *   found gone), still held until released
 * @property {HeldProcessInfo[]} exited entries that ended with an exit status nobody released
 * @property {string[]} killed keys of the entries whose processes this reap killed
 */
/**
 * Kills what dead hosts left running and marks it lost. Call only while holding the lock.
 * @param {Pick<HostPaths, 'journalFile' | 'spoolDir' | 'tag'>} paths
 * @param {{ confirmMs?: number }} [options]
 * @returns {Promise<ReapReport>}
 */
export function reapLeftovers(
  paths: Pick<HostPaths, 'journalFile' | 'spoolDir' | 'tag'>,
  options?: {
    confirmMs?: number;
  },
): Promise<ReapReport>;
/**
 * `<instance>:<seq>:<key>` (the part after the tag), or null when malformed.
 * @param {string} value
 */
export function parseMarker(value: string): {
  instance: string;
  seq: number;
  key: string;
} | null;
/**
 * @import { HeldProcessInfo, JournalEntry, JournalRecord } from './protocol-types.ts'
 * @import { HostPaths } from './host-paths.js'
 */
/** How long to wait for killed processes to vanish before reporting anyway. */
export const REAP_CONFIRM_MS: 2000;
export type ReapReport = {
  /**
   * entries lost with a dead host (killed now or earlier, or
   * found gone), still held until released
   */
  lost: HeldProcessInfo[];
  /**
   * entries that ended with an exit status nobody released
   */
  exited: HeldProcessInfo[];
  /**
   * keys of the entries whose processes this reap killed
   */
  killed: string[];
};
import type { HostPaths } from './host-paths.js';
import type { HeldProcessInfo } from './protocol-types.ts';

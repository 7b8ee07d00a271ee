// @ts-check
/**
 * Watches dying process groups until no live member is left, with one /proc poll per tick for
 * every watched group (as src/exec/group-watcher.ts does for the in-process runner).
 * @module
 */
import { clearTimeout, setTimeout } from 'node:timers';
import { liveGroups } from './proc.js';

/** How often watched groups are checked. */
export const GROUP_POLL_MS = 25;

/**
 * @typedef {object} GroupWatcher
 * @property {(pgid: number, onGone: () => void) => () => void} watch
 *   Calls `onGone` once, from a poll, when group `pgid` has no live member; returns an unwatch.
 */

/**
 * Creates a watcher whose timer runs only while something is watched.
 * @param {number} [pollMs]
 * @returns {GroupWatcher}
 */
export function createGroupWatcher(pollMs = GROUP_POLL_MS) {
  /** @type {Map<number, Set<() => void>>} */
  const watched = new Map();
  /** @type {NodeJS.Timeout | undefined} */
  let timer;

  const poll = () => {
    timer = undefined;
    const checked = [...watched.keys()];
    const live = liveGroups(checked);
    for (const pgid of checked) {
      const callbacks = watched.get(pgid);
      if (live.has(pgid) || callbacks === undefined) continue;
      watched.delete(pgid);
      for (const cb of callbacks) cb();
    }
    schedule();
  };
  const schedule = () => {
    if (timer === undefined && watched.size > 0) timer = setTimeout(poll, pollMs);
  };

  return {
    watch: function watchGroup(pgid, onGone) {
      let callbacks = watched.get(pgid);
      if (callbacks === undefined) watched.set(pgid, (callbacks = new Set()));
      const entry = () => onGone(); // own identity: the same function may be watched twice
      const own = callbacks;
      own.add(entry);
      schedule();
      return () => {
        own.delete(entry);
        if (own.size === 0 && watched.get(pgid) === own) watched.delete(pgid);
        if (watched.size === 0 && timer !== undefined) {
          clearTimeout(timer);
          timer = undefined;
        }
      };
    },
  };
}

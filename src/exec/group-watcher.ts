/**
 * Watches dying process groups until no live member is left. One poll per tick serves every
 * watched group (a `/proc` scan costs ~2 ms with ~100 processes), so cancelling many steps at
 * once costs one scan per tick, not one per step.
 * @module
 */
import { liveGroups } from './process-group.ts';

/** How often watched groups are checked. */
export const GROUP_POLL_MS = 25;

/** Calls back once per watched group when it has no live member left. */
export interface GroupWatcher {
  /** Starts watching `pgid`; `onGone` runs once, from the poll. Returns an unwatch function. */
  watch(pgid: number, onGone: () => void): () => void;
}

/** Creates a watcher whose timer runs only while something is watched. */
export function createGroupWatcher(pollMs: number = GROUP_POLL_MS): GroupWatcher {
  const watched = new Map<number, Set<() => void>>();
  let timer: NodeJS.Timeout | undefined;

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
    watch: function watchGroup(pgid: number, onGone: () => void): () => void {
      let callbacks = watched.get(pgid);
      if (callbacks === undefined) watched.set(pgid, (callbacks = new Set()));
      const entry = () => onGone(); // own identity: the same function may be watched twice
      callbacks.add(entry);
      schedule();
      return () => {
        callbacks.delete(entry);
        if (callbacks.size === 0 && watched.get(pgid) === callbacks) watched.delete(pgid);
        if (watched.size === 0 && timer !== undefined) {
          clearTimeout(timer);
          timer = undefined;
        }
      };
    },
  };
}

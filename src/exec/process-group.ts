/**
 * Process-group primitives: signal a whole group, and ask whether any member is still alive.
 * A step runs `detached`, so it leads a new session and its pid is the group id.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Sends `signal` to every process in group `pgid`. False when the group no longer exists. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if (errorCode(err) === 'ESRCH') return false;
    // EPERM: a member changed credentials (setuid); nothing more we can do for it.
    return errorCode(err) === 'EPERM';
  }
}

/**
 * True while group `pgid` has a member that is not a zombie. `kill(-pgid, 0)` alone also counts
 * zombies, which linger until their new parent reaps them (pid 1 may reap lazily), so on Linux a
 * positive answer is confirmed by scanning `/proc`. For many groups at once use
 * `liveGroups`, which scans once.
 */
export function isProcessGroupAlive(pgid: number): boolean {
  return liveGroups([pgid]).has(pgid);
}

/**
 * The subset of `pgids` that still have a live (non-zombie) member: one `kill(-pgid, 0)` each,
 * then a single `/proc` scan for the groups that answered (skipped where `/proc` is missing).
 */
export function liveGroups(pgids: Iterable<number>): Set<number> {
  const candidates = new Set<number>();
  for (const pgid of pgids) {
    try {
      process.kill(-pgid, 0);
      candidates.add(pgid);
    } catch (err) {
      if (errorCode(err) !== 'ESRCH') candidates.add(pgid);
    }
  }
  if (candidates.size === 0) return candidates;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return candidates;
  }
  const live = new Set<number>();
  for (const name of entries) {
    const code = name.charCodeAt(0);
    if (code < 48 || code > 57) continue;
    const stat = readStat(name);
    if (stat !== null && candidates.has(stat.pgrp) && stat.state !== 'Z' && stat.state !== 'X') {
      live.add(stat.pgrp);
    }
  }
  return live;
}

/** Parses state and pgrp from `/proc/<pid>/stat` (`pid (comm) state ppid pgrp ...`). */
function readStat(pid: string): { state: string; pgrp: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null; // exited between readdir and read
  }
  const close = text.lastIndexOf(')');
  if (close === -1) return null;
  const fields = text.slice(close + 2).split(' ', 3);
  const state = fields[0];
  const pgrp = Number(fields[2]);
  return state === undefined || !Number.isFinite(pgrp) ? null : { state, pgrp };
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

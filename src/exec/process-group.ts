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
 * positive answer is confirmed by scanning `/proc`.
 */
export function isProcessGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if (errorCode(err) === 'ESRCH') return false;
  }
  const members = liveGroupMembers(pgid);
  return members === null || members > 0;
}

/** Counts non-zombie processes in group `pgid` from `/proc`; null where `/proc` is unavailable. */
function liveGroupMembers(pgid: number): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  let live = 0;
  for (const name of entries) {
    const code = name.charCodeAt(0);
    if (code < 48 || code > 57) continue;
    const stat = readStat(name);
    if (stat !== null && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') live++;
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

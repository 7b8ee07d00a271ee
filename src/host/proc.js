// @ts-check
/**
 * Process facts and process-group signals for the host and its reaper, from /proc (Linux).
 * The group primitives follow src/exec/process-group.ts (the host cannot import TypeScript).
 * Where /proc is missing, start times and boot ids are null and nothing can be proven ours.
 * @module
 */
import process from 'node:process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Fields after the command name of /proc/<pid>/stat (`pid (comm) state ppid pgrp ...`), or
 * null when the process is gone. The name may contain spaces and parentheses: cut at the last.
 * @param {number | string} pid
 */
function statFields(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  const close = text.lastIndexOf(')');
  return close === -1 ? null : text.slice(close + 2).split(' ');
}

/** Start time of `pid` in clock ticks since boot (field 22), or null when it is gone/unknown. */
export function startTimeOf(/** @type {number} */ pid) {
  return statFields(pid)?.[19] ?? null;
}

/** This boot's id: start times are only comparable within one boot. Null without /proc. */
export function bootId() {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
  } catch {
    return null;
  }
}

/** Sends `signal` to every process in group `pgid`; false when the group no longer exists. */
export function signalGroup(/** @type {number} */ pgid, /** @type {NodeJS.Signals} */ signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    // EPERM: a member changed credentials; nothing more can be done for it.
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
  }
}

/** Sends `signal` to one process; false when it is gone. */
export function signalPid(/** @type {number} */ pid, /** @type {NodeJS.Signals} */ signal) {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * The subset of `pgids` with a member that is not a zombie: `kill(-pgid, 0)` first, then one
 * /proc scan confirms (zombies answer kill() until their new parent reaps them).
 * @param {Iterable<number>} pgids
 */
export function liveGroups(pgids) {
  /** @type {Set<number>} */
  const candidates = new Set();
  for (const pgid of pgids) {
    try {
      process.kill(-pgid, 0);
      candidates.add(pgid);
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'ESRCH') candidates.add(pgid);
    }
  }
  if (candidates.size === 0) return candidates;
  const pids = procPids();
  if (pids === null) return candidates;
  /** @type {Set<number>} */
  const live = new Set();
  for (const pid of pids) {
    const f = statFields(pid);
    if (f === null) continue;
    const pgrp = Number(f[2]);
    if (candidates.has(pgrp) && f[0] !== 'Z' && f[0] !== 'X') live.add(pgrp);
  }
  return live;
}

/** True while `pid` runs (a zombie does not count). */
export function isPidAlive(/** @type {number} */ pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
  }
  const state = statFields(pid)?.[0];
  return state !== 'Z' && state !== 'X';
}

/** True while group `pgid` has a live (non-zombie) member. */
export function isGroupAlive(/** @type {number} */ pgid) {
  return liveGroups([pgid]).has(pgid);
}

/**
 * Every process whose environment carries `name=<prefix>...`: pid, group, start time and the
 * value after the prefix. Processes of other users (unreadable environ) are skipped.
 * @param {string} name
 * @param {string} prefix
 * @returns {Array<{ pid: number; pgid: number; startTime: string; value: string }>}
 */
export function findMarked(name, prefix) {
  const needle = `${name}=${prefix}`;
  const found = [];
  for (const pid of procPids() ?? []) {
    if (pid === process.pid) continue;
    let env;
    try {
      env = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    const hit = env.startsWith(needle) ? 0 : env.indexOf(`\0${needle}`);
    if (hit === -1) continue;
    const at = hit === 0 && env.startsWith(needle) ? 0 : hit + 1;
    const end = env.indexOf('\0', at);
    const value = env.slice(at + needle.length, end === -1 ? undefined : end);
    const f = statFields(pid);
    if (f === null || f[0] === 'Z' || f[0] === 'X') continue;
    found.push({ pid, pgid: Number(f[2]), startTime: f[19] ?? '', value });
  }
  return found;
}

/** Pids listed in /proc, or null where it is missing. */
function procPids() {
  let names;
  try {
    names = readdirSync('/proc');
  } catch {
    return null;
  }
  const pids = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) pids.push(Number(name));
  }
  return pids;
}

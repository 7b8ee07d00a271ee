// @ts-check
/**
 * Cleaning up after a dead host, before anything runs again. Run only while holding the host
 * lock (so no host is alive and none can start meanwhile): by the server through
 * `reapDeadHost()`, and by every host at start as a safety net.
 *
 * 1. Every journal entry still `running` belonged to a host that died. If its leader has the
 *    recorded pid AND start time (same boot), its group is SIGKILLed; a leader that is gone while
 *    its group lives still owns that group id (Linux never reuses a live group id), so the group
 *    is ours and is killed. A pid now held by another process is left alone.
 * 2. The record of a process is written in the same tick as its spawn, but the process runs from
 *    exec on; a host killed in between leaves a process without a record. Every process the host
 *    starts carries `STATOR_HOST_PROC=<tag>:<instance>:<seq>:<key>` in its environment from exec
 *    on (inherited by its descendants), so a /proc scan finds it: a marked process whose entry is
 *    `running`, or whose sequence number is past the last one its instance recorded, is killed
 *    (with its group when it leads one). Marked processes of finished or released entries
 *    (daemons a step left on purpose) are left alone.
 * 3. The entries become `lost` (journal records), and the report lists every lost and exited
 *    entry with its spool offsets: their output is still readable.
 * @module
 */
import { setTimeout } from 'node:timers';
import { readdirSync } from 'node:fs';
import { Journal, readJournal } from './journal.js';
import { MARKER_ENV } from './protocol.js';
import {
  bootId,
  findMarked,
  isGroupAlive,
  isPidAlive,
  liveGroups,
  signalGroup,
  signalPid,
  startTimeOf,
} from './proc.js';
import { DEFAULT_SPOOL_BYTES, Spool } from './spool.js';

/**
 * @import { HeldProcessInfo, JournalEntry, JournalRecord } from './protocol-types.ts'
 * @import { HostPaths } from './host-paths.js'
 */

/** How long to wait for killed processes to vanish before reporting anyway. */
export const REAP_CONFIRM_MS = 2000;

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
export async function reapLeftovers(paths, options = {}) {
  const { entries, seqs } = readJournal(paths.journalFile);
  const boot = bootId();
  const at = Date.now();
  /** @type {Set<string>} */
  const killed = new Set();
  /** @type {number[]} */
  const groups = [];
  /** @type {JournalRecord[]} */
  const records = [];
  const running = [...entries.values()].filter((e) => e.state === 'running');
  for (const e of running) {
    if (e.pid !== null && recordedAlive(e, boot) && signalGroup(e.pid, 'SIGKILL')) {
      killed.add(e.key);
      groups.push(e.pid);
    }
  }
  /** @type {number[]} */
  const pids = [];
  for (const m of findMarked(MARKER_ENV, `${paths.tag}:`)) {
    const marker = parseMarker(m.value);
    if (marker === null) continue;
    const entry = entries.get(marker.key);
    const unrecorded = entry === undefined && marker.seq > (seqs.get(marker.instance) ?? Infinity);
    if (!unrecorded && entry?.state !== 'running') continue;
    if (m.pgid === m.pid && signalGroup(m.pid, 'SIGKILL')) groups.push(m.pid);
    if (signalPid(m.pid, 'SIGKILL')) pids.push(m.pid);
    killed.add(marker.key);
    if (unrecorded) {
      const r = { pid: m.pid, startTime: m.startTime, boot, instance: marker.instance };
      records.push({ t: 'spawn', key: marker.key, ...r, seq: marker.seq, at, deadlineAt: null });
    }
  }
  for (const key of new Set([...running.map((e) => e.key), ...killed])) {
    records.push({ t: 'lost', key, lost: { killed: killed.has(key), at } });
  }
  await vanished(groups, pids, options.confirmMs ?? REAP_CONFIRM_MS);
  if (records.length > 0) {
    const journal = new Journal(paths.journalFile);
    try {
      for (const r of records) journal.append(r);
    } finally {
      journal.close();
    }
  }
  return report(paths, [...killed]);
}

/**
 * True when the recorded leader still runs (same pid, start time and boot), or is gone while
 * its group lives on.
 * @param {JournalEntry} e
 * @param {string | null} boot
 */
function recordedAlive(e, boot) {
  if (e.pid === null || e.startTime === null || boot === null || e.boot !== boot) return false;
  const now = startTimeOf(e.pid);
  return now === null ? isGroupAlive(e.pid) : now === e.startTime;
}

/**
 * `<instance>:<seq>:<key>` (the part after the tag), or null when malformed.
 * @param {string} value
 */
export function parseMarker(value) {
  const a = value.indexOf(':');
  const b = value.indexOf(':', a + 1);
  if (a <= 0 || b <= a + 1) return null;
  const seq = Number(value.slice(a + 1, b));
  const key = value.slice(b + 1);
  if (!Number.isSafeInteger(seq) || key === '') return null;
  return { instance: value.slice(0, a), seq, key };
}

/**
 * Polls until the groups and pids are gone or `ms` passed.
 * @param {number[]} groups
 * @param {number[]} pids
 * @param {number} ms
 */
async function vanished(groups, pids, ms) {
  const deadline = Date.now() + ms;
  const alive = () => liveGroups(groups).size > 0 || pids.some(isPidAlive);
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/**
 * The lost and exited entries of the journal now, with their spool offsets.
 * @param {Pick<HostPaths, 'journalFile' | 'spoolDir'>} paths
 * @param {string[]} killed
 * @returns {ReapReport}
 */
function report(paths, killed) {
  const { entries } = readJournal(paths.journalFile);
  /** @type {string[]} */
  let names;
  try {
    names = readdirSync(paths.spoolDir);
  } catch {
    names = [];
  }
  /** @type {ReapReport} */
  const out = { lost: [], exited: [], killed };
  for (const e of entries.values()) {
    if (e.state === 'running') continue;
    const spool = Spool.recover(paths.spoolDir, e.key, DEFAULT_SPOOL_BYTES, names);
    /** @type {HeldProcessInfo} */
    const info = {
      key: e.key,
      state: e.state,
      pid: e.pid,
      startTime: e.startTime,
      startedAt: e.startedAt,
      deadlineAt: e.deadlineAt,
      stdin: 'none',
      exit: e.exit,
      lost: e.lost,
      spool: { firstOffset: spool.firstOffset, nextOffset: spool.nextOffset },
    };
    (e.state === 'lost' ? out.lost : out.exited).push(info);
  }
  return out;
}

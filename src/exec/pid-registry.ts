/**
 * A record on disk of the process groups this service started and has not seen end, so that
 * after a crash of the service (SIGKILL, OOM kill) the next start can kill what the dead one
 * left running before it runs those steps again. Steps lead their own process groups and so
 * outlive the service that spawned them.
 * The live set is kept in memory and written to one file at most every `flushMs` (off the
 * step's path: a spawn costs a Map insert); each entry carries the process start time from
 * /proc, so a pid reused by an unrelated process never matches and is left alone. Where /proc
 * is missing nothing is recorded or reaped.
 * @module
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessGroupAlive, signalProcessGroup } from './process-group.ts';

/** The registry. */
export interface PidRegistry {
  /** Notes a process group that just started. */
  record(pid: number): void;
  /** Forgets a process group that ended. */
  forget(pid: number): void;
  /** Kills every recorded group still alive (same pid, same start time); returns how many. */
  reapStale(): number;
  /** Writes the live set now (tests, shutdown). */
  flush(): void;
  /** Stops the periodic writer and removes the file (nothing of ours is left running). */
  close(): void;
}

/** @default 250 */
export const DEFAULT_PID_FLUSH_MS = 250;

/** Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat). */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after it are space-separated.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** Creates a registry writing `<dir>/pids.json` (the directory is created if missing). */
export function createPidRegistry(dir: string, flushMs = DEFAULT_PID_FLUSH_MS): PidRegistry {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'pids.json');
  const live = new Map<number, string | undefined>();
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;

  const flush = (): void => {
    timer = undefined;
    if (!dirty) return;
    dirty = false;
    const entries: Array<[number, string]> = [];
    for (const [pid, started] of live) {
      const start = started ?? processStartTime(pid);
      if (start === undefined) continue; // already gone
      live.set(pid, start);
      entries.push([pid, start]);
    }
    writeFileSync(`${file}.tmp`, JSON.stringify(entries));
    renameSync(`${file}.tmp`, file);
  };
  const schedule = (): void => {
    dirty = true;
    if (timer === undefined) {
      timer = setTimeout(flush, flushMs);
      timer.unref();
    }
  };

  return {
    record(pid) {
      live.set(pid, undefined);
      schedule();
    },
    forget(pid) {
      if (live.delete(pid)) schedule();
    },
    flush,
    close() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      if (live.size === 0) rmSync(file, { force: true });
      else flush();
    },
    reapStale() {
      let entries: Array<[number, string]> = [];
      try {
        entries = JSON.parse(readFileSync(file, 'utf8')) as Array<[number, string]>;
      } catch {
        return 0;
      }
      let reaped = 0;
      for (const [pid, recorded] of entries) {
        if (!Number.isInteger(pid) || pid <= 1 || live.has(pid)) continue;
        const leader = processStartTime(pid);
        // A live group whose leader is gone still holds its id (Linux never hands out a pid
        // that is a live group id), so it is ours; a leader with another start time is not.
        const ours = leader === undefined ? isProcessGroupAlive(pid) : leader === recorded;
        if (ours && signalProcessGroup(pid, 'SIGKILL')) reaped++;
      }
      rmSync(file, { force: true });
      return reaped;
    },
  };
}

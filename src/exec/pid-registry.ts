/**
 * A record on disk of the process groups this service started and has not seen end, so that
 * after a crash of the service (SIGKILL, power loss of the process) the next start can kill
 * what the dead one left running before it runs those steps again. Steps lead their own
 * process groups and so outlive the service that spawned them.
 * Each entry keeps the process start time from /proc: a pid reused by an unrelated process
 * never matches and is left alone. Where /proc is missing, nothing is recorded or reaped.
 * @module
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
}

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

/** Creates a registry in `dir` (created if missing). */
export function createPidRegistry(dir: string): PidRegistry {
  mkdirSync(dir, { recursive: true });
  const file = (pid: number) => join(dir, String(pid));
  return {
    record(pid) {
      const started = processStartTime(pid);
      if (started !== undefined) writeFileSync(file(pid), started);
    },
    forget(pid) {
      rmSync(file(pid), { force: true });
    },
    reapStale() {
      let reaped = 0;
      for (const name of readdirSync(dir)) {
        const pid = Number(name);
        if (!Number.isInteger(pid) || pid <= 1) continue;
        let recorded: string | undefined;
        try {
          recorded = readFileSync(file(pid), 'utf8').trim();
        } catch {
          continue;
        }
        const leader = processStartTime(pid);
        // A live group whose leader is gone still holds its id (Linux never hands out a pid
        // that is a live group id), so it is ours; a leader with another start time is not.
        const ours = leader === undefined ? isProcessGroupAlive(pid) : leader === recorded;
        if (recorded && ours) {
          signalProcessGroup(pid, 'SIGKILL');
          reaped++;
        }
        rmSync(file(pid), { force: true });
      }
      return reaped;
    },
  };
}

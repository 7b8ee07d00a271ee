/**
 * Resident memory and CPU time of another process, from /proc (Linux).
 * @module
 */
import { readFileSync } from 'node:fs';

/** Resident size now and its peak (VmHWM), in MiB. */
export interface Memory {
  rss: number;
  hwm: number;
}

/** Resident and peak resident size of `pid` in MiB. */
export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]) / 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** CPU ms (user + system) used so far by `pid` itself (not its waited-for children). */
export function cpuMsOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.split(' ') ?? [];
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks of 10 ms
}

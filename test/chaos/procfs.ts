/**
 * Process facts from /proc (Linux) for the chaos tests: whether a pid is alive (a zombie is
 * not), which processes refer to a directory (command line, environment or working
 * directory), which of them is the process host of a data directory, and a sweep that kills
 * whatever a test left behind.
 * @module
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

/** Every numeric entry of /proc. */
export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch {
    return undefined;
  }
}

/** State letter (`R`, `S`, `Z`…), parent pid and process group of `pid`; undefined when gone. */
export function procStat(pid: number): { state: string; ppid: number; pgid: number } | undefined {
  const text = readProc(pid, 'stat');
  if (text === undefined) return undefined;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '?', ppid: Number(fields[1]), pgid: Number(fields[2]) };
}

/** True while `pid` exists and is not a zombie (`process.kill(pid, 0)` alone counts zombies). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** The command line of `pid`, arguments joined by spaces ('' when gone). */
export function cmdline(pid: number): string {
  return (readProc(pid, 'cmdline') ?? '').split('\0').join(' ').trim();
}

/** The environment of `pid` as `NAME=value` lines ([] when gone or unreadable). */
export function environ(pid: number): string[] {
  return (readProc(pid, 'environ') ?? '').split('\0').filter(Boolean);
}

function cwdOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return '';
  }
}

/** True when `text` names `dir` itself or a path inside it. */
function mentions(text: string, dir: string): boolean {
  let at = text.indexOf(dir);
  while (at >= 0) {
    const next = text[at + dir.length];
    if (next === undefined || next === sep || !/[\w.-]/.test(next)) return true;
    at = text.indexOf(dir, at + 1);
  }
  return false;
}

/** This process and its ancestors: never swept. */
function selfAndAncestors(): Set<number> {
  const keep = new Set<number>();
  for (let pid = process.pid; pid > 1 && !keep.has(pid);) {
    keep.add(pid);
    pid = procStat(pid)?.ppid ?? 0;
  }
  return keep;
}

/** Live processes whose command line, environment or working directory refer to `dir`. */
export function processesReferencing(dir: string): number[] {
  const keep = selfAndAncestors();
  return allPids().filter(
    (pid) =>
      !keep.has(pid) &&
      isAlive(pid) &&
      (mentions(cmdline(pid), dir) ||
        mentions(cwdOf(pid), dir) ||
        environ(pid).some((kv) => mentions(kv, dir))),
  );
}

/** Inodes of the unix sockets bound to a path inside `dir` (from /proc/net/unix). */
function socketInodesUnder(dir: string): Set<string> {
  const inodes = new Set<string>();
  for (const line of safeRead('/proc/net/unix').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const path = cols[7];
    if (path !== undefined && mentions(path, dir)) inodes.add(cols[6]!);
  }
  return inodes;
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return '';
  }
}

/** Pids holding one of `inodes` open. */
function socketOwners(inodes: Set<string>): number[] {
  if (inodes.size === 0) return [];
  const owners: number[] = [];
  for (const pid of allPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined && inodes.has(inode)) {
        owners.push(pid);
        break;
      }
    }
  }
  return owners;
}

/** Pids named in pid files of `<dataDir>/host/` (plain numbers or JSON with `pid`/`hostPid`). */
function pidsFromHostDir(dataDir: string): number[] {
  const hostDir = join(dataDir, 'host');
  let names: string[];
  try {
    names = readdirSync(hostDir);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const name of names) {
    if (!/pid|lock/i.test(name)) continue;
    const file = join(hostDir, name);
    try {
      if (!statSync(file).isFile() || statSync(file).size > 65_536) continue;
    } catch {
      continue;
    }
    const text = safeRead(file);
    const plain = /^\s*(\d+)\s*$/.exec(text)?.[1];
    if (plain !== undefined) pids.push(Number(plain));
    for (const m of text.matchAll(/"(?:pid|hostPid)"\s*:\s*(\d+)/g)) pids.push(Number(m[1]));
  }
  return pids;
}

/**
 * The live process host(s) of `dataDir`, found every way the design leaves open: pid files in
 * `<dataDir>/host/`, owners of a unix socket bound inside the data directory, and processes
 * (other than `exclude`, the servers) whose command line, environment or working directory
 * refer to the data directory and that are not steps (no STATOR_EXECUTION_ID).
 */
export function findHostPids(dataDir: string, exclude: Iterable<number> = []): number[] {
  const skip = new Set([...exclude, ...selfAndAncestors()]);
  const found = new Set<number>([
    ...pidsFromHostDir(dataDir),
    ...socketOwners(socketInodesUnder(dataDir)),
    ...processesReferencing(dataDir).filter(
      (pid) => !environ(pid).some((kv) => kv.startsWith('STATOR_EXECUTION_ID=')),
    ),
  ]);
  return [...found].filter((pid) => !skip.has(pid) && isAlive(pid)).sort((a, b) => a - b);
}

/** SIGKILL to `pid`, and to its group when it leads one; ignores what is already gone. */
export function killHard(pid: number): void {
  const stat = procStat(pid);
  if (stat !== undefined && stat.pgid === pid && pid !== process.pid) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // group already gone
    }
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Kills every live process that refers to `dir` (and the group each leads), until none is
 * left or `timeoutMs` passes; returns the pids and command lines it had to kill.
 */
export async function sweep(dir: string, timeoutMs = 3000): Promise<string[]> {
  const killed = new Map<number, string>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = processesReferencing(dir);
    if (live.length === 0 || Date.now() > deadline) break;
    for (const pid of live) {
      if (!killed.has(pid)) killed.set(pid, cmdline(pid));
      killHard(pid);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return [...killed].map(([pid, cmd]) => `${pid} ${cmd}`);
}

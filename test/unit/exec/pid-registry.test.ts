import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPidRegistry, processStartTime } from '../../../src/exec/index.ts';
import { waitFor } from '../../helpers/poll.ts';

const dirs: string[] = [];
const pids: number[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stator-pids-'));
  dirs.push(dir);
  return dir;
}

function alive(pid: number): boolean {
  const started = processStartTime(pid);
  return started !== undefined;
}

/** A detached shell leading its own group, with a grandchild `sleep`. */
function spawnGroup(): number {
  const child = spawn('sh', ['-c', 'sleep 30 & wait'], { detached: true, stdio: 'ignore' });
  child.unref();
  pids.push(child.pid!);
  return child.pid!;
}

afterEach(() => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('pid registry', () => {
  it('kills a recorded process group left running, grandchildren included', async () => {
    const dir = tempDir();
    const pid = spawnGroup();
    await waitFor(() => processStartTime(pid) !== undefined);
    const old = createPidRegistry(dir);
    old.record(pid);
    old.flush();
    // A new process (the restarted service) reaps what the old one left.
    expect(createPidRegistry(dir).reapStale()).toBe(1);
    await waitFor(() => {
      try {
        process.kill(-pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('leaves a process alone when its pid was reused (start time differs)', async () => {
    const dir = tempDir();
    const pid = spawnGroup();
    await waitFor(() => processStartTime(pid) !== undefined);
    writeFileSync(join(dir, 'pids.json'), JSON.stringify([[pid, '1']]));
    expect(createPidRegistry(dir).reapStale()).toBe(0);
    expect(alive(pid)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('forgets groups that ended, so nothing is reaped', async () => {
    const dir = tempDir();
    const pid = spawnGroup();
    await waitFor(() => processStartTime(pid) !== undefined);
    const registry = createPidRegistry(dir);
    registry.record(pid);
    registry.flush();
    expect(readdirSync(dir)).toEqual(['pids.json']);
    registry.forget(pid);
    registry.flush();
    expect(createPidRegistry(dir).reapStale()).toBe(0);
    expect(alive(pid)).toBe(true);
  });
});

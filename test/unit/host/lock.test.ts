import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireFileLock, acquireHostLock } from '../../../src/host/lock.js';
import { resolveHostPaths } from '../../../src/host/index.ts';

describe('host lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stator-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('admits one holder per data directory and frees on release', async () => {
    const paths = resolveHostPaths(dir);
    const first = await acquireHostLock(paths);
    expect(first).not.toBeNull();
    expect(await acquireHostLock(paths)).toBeNull();
    expect(await acquireHostLock(resolveHostPaths(join(dir, 'other')))).not.toBeNull();
    await first?.release();
    const again = await acquireHostLock(paths);
    expect(again).not.toBeNull();
    await again?.release();
  });

  it('pid-file fallback: refuses while the holder lives, takes over a dead holder', async () => {
    const file = join(dir, 'host.lock');
    const first = await acquireFileLock(file);
    expect(first).not.toBeNull();
    expect(await acquireFileLock(file)).toBeNull();
    await first?.release();
    const dead = spawnSync('true').pid as number; // exited and reaped: its pid names no one
    writeFileSync(file, String(dead));
    const taken = await acquireFileLock(file);
    expect(taken).not.toBeNull();
    await taken?.release();
  });
});

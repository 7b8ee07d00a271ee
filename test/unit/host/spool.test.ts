import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool, spoolId } from '../../../src/host/spool.js';
import type { OutputLine } from '../../../src/host/index.ts';

const lines = (from: number, n: number, stream: 'stdout' | 'stderr' = 'stdout'): OutputLine[] =>
  Array.from({ length: n }, (_, i) => [stream, `line ${String(from + i).padStart(5, '0')}`]);

describe('Spool', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stator-spool-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates no file until the first line, then numbers lines of both streams', () => {
    const s = new Spool(dir, 'step:a', 1 << 20);
    expect(readdirSync(dir)).toEqual([]);
    expect(s.append(lines(0, 2))).toBe(0);
    expect(s.append(lines(2, 1, 'stderr'))).toBe(2);
    expect(s.read(1, 1000)).toEqual({
      offset: 1,
      skipped: 0,
      lines: [
        ['stdout', 'line 00001'],
        ['stderr', 'line 00002'],
      ],
    });
    expect(readdirSync(dir)).toEqual([`${spoolId('step:a')}.0`]);
  });

  it('stays within its bound, drops the oldest lines and reports them as skipped', () => {
    const s = new Spool(dir, 'step:b', 4096); // segments of 2 KiB; records are 12 bytes
    for (let i = 0; i < 1000; i += 10) s.append(lines(i, 10));
    expect(s.nextOffset).toBe(1000);
    expect(readdirSync(dir)).toHaveLength(2);
    expect(s.firstOffset).toBeGreaterThan(1000 - 4096 / 12);
    expect(s.firstOffset).toBeLessThan(1000 - 2048 / 12);
    const r = s.read(0, 1e9);
    expect(r.skipped).toBe(s.firstOffset);
    expect(r.offset).toBe(s.firstOffset);
    expect(r.lines.map(([, l]) => Number(l.slice(5)))).toEqual(
      Array.from({ length: 1000 - s.firstOffset }, (_, i) => s.firstOffset + i),
    );
  });

  it('splits one large append at segment boundaries', () => {
    const s = new Spool(dir, 'step:c', 4096);
    s.append(lines(0, 2000)); // one chunk of 24 KB
    expect(s.nextOffset).toBe(2000);
    expect(s.read(0, 1e9).lines.length).toBeLessThanOrEqual(4096 / 12 + 1);
    expect(s.read(1999, 10).lines).toEqual([['stdout', 'line 01999']]);
  });

  it('reads in bounded pieces and past the end', () => {
    const s = new Spool(dir, 'step:d', 1 << 20);
    s.append(lines(0, 100));
    const first = s.read(0, 50);
    expect(first.lines.length).toBe(5); // about 50 characters: whole lines only
    expect(s.read(100, 1000)).toEqual({ offset: 100, skipped: 0, lines: [] });
    expect(s.read(500, 1000)).toEqual({ offset: 500, skipped: 0, lines: [] });
  });

  it('is recovered by a later host with its offsets, and removed on release', () => {
    const s = new Spool(dir, 'step:e', 4096);
    for (let i = 0; i < 600; i += 20) s.append(lines(i, 20));
    s.close();
    const again = Spool.recover(dir, 'step:e', 4096);
    expect([again.firstOffset, again.nextOffset]).toEqual([s.firstOffset, 600]);
    expect(again.read(599, 100).lines).toEqual([['stdout', 'line 00599']]);
    expect(Spool.recover(dir, 'step:other', 4096).nextOffset).toBe(0);
    again.remove();
    expect(readdirSync(dir)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { LineSplitter as ExecSplitter, truncationMarker } from '../../../src/exec/index.ts';
import {
  LineSplitter as HostSplitter,
  truncationMarker as hostMarker,
} from '../../../src/host/line-splitter.js';

/** A small deterministic generator (mulberry32). */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'bc', '\n', '\r\n', '\r', 'x'.repeat(40), '😀', 'é', ''];

describe('host LineSplitter', () => {
  it('cuts lines exactly like the in-process runner (random chunks, many seeds)', () => {
    expect(hostMarker(12)).toBe(truncationMarker(12));
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed);
      const max = 1 + Math.floor(next() * 50);
      const exec: string[] = [];
      const host: string[] = [];
      const a = new ExecSplitter(max, (l) => exec.push(l));
      const b = new HostSplitter(max, (l) => host.push(l));
      for (let chunk = 0; chunk < 40; chunk++) {
        let text = '';
        for (let i = Math.floor(next() * 8); i > 0; i--) {
          text += PIECES[Math.floor(next() * PIECES.length)];
        }
        a.push(text);
        b.push(text);
      }
      a.end();
      b.end();
      expect(host, `seed ${seed}`).toEqual(exec);
    }
  });

  it('shows the unfinished line without its trailing carriage return', () => {
    const lines: string[] = [];
    const s = new HostSplitter(100, (l) => lines.push(l));
    s.push('done\nPassword: ');
    expect(s.pending).toBe('Password: ');
    s.push('x\r');
    expect(s.pending).toBe('Password: x');
    s.end();
    expect(lines).toEqual(['done', 'Password: x']);
    expect(s.pending).toBe('');
  });
});

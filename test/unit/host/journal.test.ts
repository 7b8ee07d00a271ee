import { describe, expect, it } from 'vitest';
import { foldJournal } from '../../../src/host/journal.js';
import { FrameReader } from '../../../src/host/line-frames.js';

const rec = (r: object) => `${JSON.stringify(r)}\n`;
const spawn = (key: string, seq: number, instance = 'i1') =>
  rec({
    t: 'spawn',
    key,
    pid: 100 + seq,
    startTime: '5',
    boot: 'b',
    instance,
    seq,
    at: 1,
    deadlineAt: null,
  });
const exit = {
  exitCode: 0,
  signal: null,
  timedOut: false,
  cancelled: false,
  spawnError: null,
  endedAt: 2,
  durationMs: 1,
};

describe('journal fold', () => {
  it('folds spawn, exit, lost and release; skips a torn last line and garbage', () => {
    const text = [
      rec({ t: 'host', instance: 'i1', boot: 'b', seq: 0 }),
      spawn('a', 1),
      spawn('b', 2),
      spawn('c', 3),
      rec({ t: 'exit', key: 'a', exit }),
      rec({ t: 'release', key: 'b' }),
      rec({ t: 'lost', key: 'c', lost: { killed: true, at: 3 } }),
      rec({ t: 'exit', key: 'never-ran', exit: { ...exit, exitCode: null, spawnError: 'ENOENT' } }),
      'not json\n',
      rec({ t: 'spawn', key: 'bad' }),
      spawn('d', 4).slice(0, 30), // the host died mid-write
    ].join('');
    const { entries, seqs } = foldJournal(text);
    expect([...entries.keys()]).toEqual(['a', 'c', 'never-ran']);
    expect(entries.get('a')).toMatchObject({ state: 'exited', pid: 101, exit: { exitCode: 0 } });
    expect(entries.get('c')).toMatchObject({ state: 'lost', lost: { killed: true } });
    expect(entries.get('never-ran')).toMatchObject({ state: 'exited', pid: null });
    expect(seqs).toEqual(new Map([['i1', 3]]));
  });
});

describe('FrameReader', () => {
  it('splits frames across and within chunks and refuses an oversized one once', () => {
    const frames: string[] = [];
    const oversize: number[] = [];
    const r = new FrameReader(
      10,
      (f) => frames.push(f),
      (n) => oversize.push(n),
    );
    r.push(Buffer.from('ab'));
    r.push(Buffer.from('c\nd\n\n'));
    r.push(Buffer.from('é€'));
    r.push(Buffer.from('\n'));
    expect(frames).toEqual(['abc', 'd', '', 'é€']);
    r.push(Buffer.from('0123456789X'));
    r.push(Buffer.from('more\nignored\n'));
    expect(oversize).toEqual([11]);
    expect(frames).toHaveLength(4);
  });
});

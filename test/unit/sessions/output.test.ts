import { describe, expect, it } from 'vitest';
import {
  LatestOutput,
  OutputBuffer,
  promptMatcher,
  stripEscapes,
} from '../../../src/sessions/index.ts';

describe('OutputBuffer', () => {
  it('numbers lines, keeps the newest within the line bound, and reads after a seq', () => {
    const buf = new OutputBuffer(3, 1 << 20);
    for (let i = 1; i <= 5; i++) buf.push(i % 2 ? 'stdout' : 'stderr', `l${i}`, 't');
    expect(buf.size).toBe(3);
    expect(buf.lastSeq).toBe(5);
    expect(buf.since().map((l) => [l.seq, l.line])).toEqual([
      [3, 'l3'],
      [4, 'l4'],
      [5, 'l5'],
    ]);
    expect(buf.since(4)).toEqual([{ seq: 5, stream: 'stdout', line: 'l5', ts: 't' }]);
    expect(buf.since(1, 1).map((l) => l.seq)).toEqual([3]);
    expect(buf.since(5)).toEqual([]);
  });

  it('takes a line with its own number and reads across the numbers it skipped', () => {
    const buf = new OutputBuffer(10, 1 << 20);
    buf.push('stdout', 'a', 't', 5);
    buf.push('stdout', 'b', 't');
    buf.push('stderr', 'c', 't', 9);
    buf.push('stdout', 'd', 't', 3); // never backwards: the next number
    expect(buf.lastSeq).toBe(10);
    expect(buf.since().map((l) => [l.seq, l.line])).toEqual([
      [5, 'a'],
      [6, 'b'],
      [9, 'c'],
      [10, 'd'],
    ]);
    expect(buf.since(6).map((l) => l.seq)).toEqual([9, 10]);
    expect(buf.since(7, 1).map((l) => l.seq)).toEqual([9]);
    expect(buf.since(2).map((l) => l.seq)).toEqual([5, 6, 9, 10]);
    expect(buf.since(10)).toEqual([]);
  });

  it('drops the oldest lines beyond the size bound but always keeps the newest', () => {
    const buf = new OutputBuffer(100, 10);
    buf.push('stdout', 'aaaa', 't');
    buf.push('stdout', 'bbbb', 't');
    buf.push('stdout', 'cccc', 't');
    expect(buf.since().map((l) => l.line)).toEqual(['bbbb', 'cccc']);
    buf.push('stdout', 'x'.repeat(50), 't');
    expect(buf.since().map((l) => l.line.length)).toEqual([50]);
  });

  it('stays bounded over many lines', () => {
    const buf = new OutputBuffer(10, 1 << 20);
    for (let i = 1; i <= 10_000; i++) buf.push('stdout', String(i), 't');
    expect(buf.since().map((l) => l.line)).toEqual(
      Array.from({ length: 10 }, (_, i) => String(9991 + i)),
    );
  });
});

describe('attention', () => {
  it('the latest output is the partial line, else the last complete line', () => {
    const out = new LatestOutput();
    out.push('hello\n> ');
    expect(out.latest).toBe('> ');
    out.push('answer\r\n');
    expect(out.latest).toBe('> answer');
    out.push('one\ntwo\nthr');
    expect(out.latest).toBe('thr');
    out.push('ee\n');
    expect(out.latest).toBe('three');
    out.push('> ');
    out.endLine();
    expect(out.latest).toBe('> ');
    out.push('answer\n');
    expect(out.latest).toBe('answer');
  });

  it('matches the prompt without terminal escapes', () => {
    const isPrompt = promptMatcher('^> $');
    expect(isPrompt('> ')).toBe(true);
    expect(isPrompt('\u001b[1;32m> \u001b[0m')).toBe(true);
    expect(isPrompt('>> ')).toBe(false);
    expect(promptMatcher(undefined)('> ')).toBe(false);
    expect(stripEscapes('\u001b]0;title\u0007ok')).toBe('ok');
  });
});

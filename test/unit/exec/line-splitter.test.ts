import { describe, expect, it } from 'vitest';
import { LineSplitter, truncationMarker } from '../../../src/exec/index.ts';

/** Feeds `chunks` through a splitter and returns every emitted line (end() included). */
function split(chunks: string[], max = 64 * 1024): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter(max, (l) => lines.push(l));
  for (const c of chunks) splitter.push(c);
  splitter.end();
  return lines;
}

describe('LineSplitter', () => {
  it('splits on \\n and \\r\\n, keeps empty lines and a lone \\r', () => {
    expect(split(['a\nb\r\n\nc\rd\n'])).toEqual(['a', 'b', '', 'c\rd']);
  });

  it('joins a line across chunks, including a \\r\\n split between them', () => {
    expect(split(['he', 'llo\r', '\nwor', 'ld\n'])).toEqual(['hello', 'world']);
  });

  it('emits a final partial line on end(), and nothing for a trailing newline', () => {
    expect(split(['one\ntwo'])).toEqual(['one', 'two']);
    expect(split(['one\n'])).toEqual(['one']);
    expect(split([])).toEqual([]);
  });

  it('emits each line as soon as its newline arrives', () => {
    const lines: string[] = [];
    const s = new LineSplitter(100, (l) => lines.push(l));
    s.push('a\nb');
    expect(lines).toEqual(['a']);
    s.push('\n');
    expect(lines).toEqual(['a', 'b']);
  });

  it('cuts a long line at the bound with a marker counting the dropped characters', () => {
    const long = 'x'.repeat(25);
    expect(split([`${long}\nok\n`], 10)).toEqual([
      `${'x'.repeat(10)}${truncationMarker(15)}`,
      'ok',
    ]);
  });

  it('cuts a long line that arrives in many chunks and resumes at the next line', () => {
    const chunks = Array.from({ length: 50 }, () => 'abcd');
    const lines = split([...chunks, '\r\nnext\n'], 16);
    expect(lines).toEqual([`abcdabcdabcdabcd${truncationMarker(184)}`, 'next']);
  });

  it('does not count the \\r of a \\r\\n terminator as dropped', () => {
    expect(split(['0123456789\r\n'], 10)).toEqual(['0123456789']);
  });

  it('marks a truncated final partial line', () => {
    expect(split(['y'.repeat(12)], 10)).toEqual([`${'y'.repeat(10)}${truncationMarker(2)}`]);
  });

  it('never splits a surrogate pair at the cut', () => {
    const [line] = split([`${'a'.repeat(9)}😀tail\n`], 10);
    expect(line?.startsWith(`${'a'.repeat(9)}${truncationMarker(6)}`)).toBe(true);
  });

  it('rejects a bound that is not a positive integer', () => {
    expect(() => new LineSplitter(0, () => {})).toThrow(RangeError);
  });
});

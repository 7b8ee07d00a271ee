import { describe, expect, it } from 'vitest';
import { PacedWriter } from '../../../src/http/index.ts';

/** A write whose completion the test controls. */
function controlledWrite() {
  const writes: string[] = [];
  const pending: Array<() => void> = [];
  const write = (text: string): Promise<void> => {
    writes.push(text);
    return new Promise((resolve) => pending.push(resolve));
  };
  const finishOne = async (): Promise<void> => {
    pending.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { writes, write, finishOne };
}

describe('PacedWriter', () => {
  it('writes at once when idle and batches what arrives during a write', async () => {
    const w = controlledWrite();
    const writer = new PacedWriter(w.write, 1000);
    expect(writer.idle).toBe(true);
    expect(writer.push('a')).toBeUndefined();
    expect(w.writes).toEqual(['a']);
    writer.push('b');
    writer.push('c');
    expect(w.writes).toEqual(['a']);
    await w.finishOne();
    expect(w.writes).toEqual(['a', 'bc']);
    await w.finishOne();
    expect(writer.idle).toBe(true);
  });

  it('asks the caller to wait past the high-water mark, and releases it as the socket drains', async () => {
    const w = controlledWrite();
    const writer = new PacedWriter(w.write, 4);
    writer.push('xx'); // written at once
    expect(writer.push('yy')).toBeUndefined();
    const wait = writer.push('zz');
    expect(wait).toBeInstanceOf(Promise);
    let released = false;
    void wait!.then(() => (released = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(released).toBe(false);
    await w.finishOne();
    expect(released).toBe(true);
    expect(w.writes).toEqual(['xx', 'yyzz']);
  });

  it('ignores pushes once closed and releases waiters', async () => {
    const w = controlledWrite();
    const writer = new PacedWriter(w.write, 1);
    writer.push('a');
    const wait = writer.push('b');
    writer.close();
    await wait;
    expect(writer.push('c')).toBeUndefined();
    await w.finishOne();
    expect(w.writes).toEqual(['a']);
  });
});

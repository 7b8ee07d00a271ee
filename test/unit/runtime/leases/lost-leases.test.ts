import { describe, expect, it } from 'vitest';
import { LostLeases } from '../../../../src/runtime/leases/index.ts';

describe('LostLeases', () => {
  it('tells runs from sessions and forgets the oldest past its bound', () => {
    const lost = new LostLeases(3);
    lost.add('execution', 'a');
    lost.add('session', 'a');
    expect(lost.has('execution', 'a')).toBe(true);
    expect(lost.has('session', 'a')).toBe(true);
    expect(lost.has('execution', 'b')).toBe(false);
    lost.add('execution', 'a'); // lost again: now the newest
    lost.add('execution', 'b');
    lost.add('execution', 'c');
    expect(lost.size).toBe(3);
    expect(lost.has('session', 'a')).toBe(false); // the oldest went
    expect(['a', 'b', 'c'].every((id) => lost.has('execution', id))).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../src/store/index.ts';
import { runStoreConformance } from '../../conformance/store.case.ts';

runStoreConformance({ name: 'memory', create: async (limits) => createMemoryStore(limits) });

describe('createMemoryStore', () => {
  it('rejects invalid limits by field name', () => {
    expect(() => createMemoryStore({ maxLogLinesPerStep: 0 })).toThrow(/maxLogLinesPerStep/);
    expect(() => createMemoryStore({ maxLineLength: 1.5 })).toThrow(/maxLineLength/);
  });
});

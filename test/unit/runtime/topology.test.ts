import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors.ts';
import {
  MemoryWorkQueue,
  resolveStatorOptions,
  resolveTopology,
} from '../../../src/runtime/index.ts';

const shared = { shared: true };
const local = { shared: false };

function refusal(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return err as InvalidArgumentError;
  }
  throw new Error('not refused');
}

describe('resolveTopology', () => {
  it('is embedded by default: local queue and store, definitions cached, requeue at start', () => {
    expect(resolveTopology({ node: 'n1' })).toEqual({
      mode: 'embedded',
      node: 'n1',
      sharedQueue: false,
      sharedStore: false,
      ownership: 'local',
      cacheDefinitions: true,
      requeueAtStart: true,
      answerUnknown: true,
    });
    expect(resolveTopology({ node: 'n1', workQueue: local }).mode).toBe('embedded');
  });

  it('is cluster with a shared work queue: store shared, nothing cached or requeued', () => {
    expect(resolveTopology({ node: 'n2', workQueue: shared, leases: {} })).toEqual({
      mode: 'cluster',
      node: 'n2',
      sharedQueue: true,
      sharedStore: true,
      ownership: 'leased',
      cacheDefinitions: false,
      requeueAtStart: false,
      answerUnknown: false,
    });
    expect(resolveTopology({ node: 'n2', workQueue: shared }).ownership).toBe('local');
  });

  it('reads definitions each time when an embedded store is shared', () => {
    const t = resolveTopology({ node: 'n', topology: { sharedStore: true } });
    expect(t).toMatchObject({ mode: 'embedded', sharedStore: true, cacheDefinitions: false });
    expect(t.requeueAtStart).toBe(true);
  });

  it('refuses contradictions by field name', () => {
    expect(
      refusal(() => resolveTopology({ node: 'n', topology: { mode: 'cluster' } })).message,
    ).toMatch(/^topology\.mode: cluster mode needs a shared work queue/);
    expect(
      refusal(() =>
        resolveTopology({ node: 'n', workQueue: shared, topology: { mode: 'embedded' } }),
      ).message,
    ).toMatch(/^topology\.mode: embedded mode takes no shared work queue/);
    expect(refusal(() => resolveTopology({ node: 'n', leases: {} })).message).toMatch(
      /^leases: leases are for cluster mode/,
    );
    expect(
      refusal(() =>
        resolveTopology({ node: 'n', workQueue: shared, topology: { sharedStore: false } }),
      ).message,
    ).toMatch(/^topology\.sharedStore: cluster mode shares its store/);
  });

  it('is resolved once with the service options, before anything starts', () => {
    const opts = resolveStatorOptions({ node: 'x', workQueue: new MemoryWorkQueue(5) });
    expect(opts.topology).toMatchObject({ mode: 'embedded', node: 'x' });
    expect(Object.isFrozen(opts.topology)).toBe(true);
    expect(() => resolveStatorOptions({ topology: { mode: 'cluster' } })).toThrow(
      InvalidArgumentError,
    );
  });
});

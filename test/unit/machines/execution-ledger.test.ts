import { beforeAll, describe, expect, it } from 'vitest';
import {
  allSettled,
  createLedger,
  isSettled,
  liveSteps,
  settle,
  takeReady,
  takeSkip,
  unstartedSteps,
  type ExecutionLedger,
} from '../../../machines/execution-ledger.ts';
import { MAX_LOST_ATTEMPTS } from '../../../machines/step.machine.ts';
import type { StepDefinition } from '../../../src/workflow/types.ts';

function step(id: string, needs: string[] = [], continueOnError = false): StepDefinition {
  return {
    id,
    kind: 'noop',
    needs,
    retry: { attempts: 1, backoffMs: 0, factor: 2, maxMs: 0, jitter: 0 },
    env: {},
    continueOnError,
  };
}

/** Takes every ready step. */
function drain(ledger: ExecutionLedger): number[] {
  const out: number[] = [];
  for (let i = takeReady(ledger); i !== undefined; i = takeReady(ledger)) out.push(i);
  return out;
}

const diamond = [step('a'), step('b', ['a']), step('c', ['a']), step('d', ['b', 'c'])];

describe('createLedger', () => {
  it('queues the roots in definition order and counts unmet needs', () => {
    const l = createLedger([step('x'), step('y', ['x']), step('z')]);
    expect(l.ready.slice(l.readyHead)).toEqual([0, 2]);
    expect(l.remaining).toEqual([0, 1, 0]);
    expect(l.dependents).toEqual([[1], [], []]);
    expect(l.status).toEqual(['pending', 'pending', 'pending']);
    expect(l.attemptsUsed).toEqual([0, 0, 0]);
    expect([l.live, l.settled, l.failedAt]).toEqual([0, 0, -1]);
    // Only a resumed run has per-step resume state.
    expect([l.interrupted, l.lostAttempts, l.resumed]).toEqual([[], [], []]);
  });

  it('stays plain JSON', () => {
    const l = createLedger(diamond);
    expect(JSON.parse(JSON.stringify(l))).toEqual(l);
  });
});

describe('takeReady and settle', () => {
  it('runs a diamond in dependency order', () => {
    const l = createLedger(diamond);
    expect(drain(l)).toEqual([0]);
    expect(l.status[0]).toBe('running');
    expect(l.live).toBe(1);
    expect(settle(l, diamond, 0, 'succeeded')).toEqual([1, 2]);
    expect(l.live).toBe(0);
    expect(drain(l)).toEqual([1, 2]);
    // d needs both b and c.
    expect(settle(l, diamond, 1, 'succeeded')).toEqual([]);
    expect(takeReady(l)).toBeUndefined();
    expect(settle(l, diamond, 2, 'succeeded')).toEqual([3]);
    expect(drain(l)).toEqual([3]);
    expect(allSettled(l)).toBe(false);
    settle(l, diamond, 3, 'succeeded');
    expect(allSettled(l)).toBe(true);
    expect([l.live, l.settled, l.failedAt]).toEqual([0, 4, -1]);
  });

  it('skips the dependents of a skipped step, in turn, unless they run always', () => {
    const steps = [
      step('a'),
      step('b', ['a']),
      step('c', ['b']),
      { ...step('d', ['b']), when: 'always' as const },
    ];
    const l = createLedger(steps);
    drain(l);
    expect(settle(l, steps, 0, 'skipped')).toEqual([]);
    expect(l.failedAt).toBe(-1);
    // b is skipped (its need was); then c too, while d runs whatever b ended as.
    expect(takeSkip(l, steps)).toBe(1);
    expect(takeSkip(l, steps)).toBe(2);
    expect(takeSkip(l, steps)).toBeUndefined();
    expect(takeReady(l)).toBe(3);
    expect(l.status).toEqual(['skipped', 'skipped', 'skipped', 'running']);
  });

  it('marks the run failed on an intolerable failure and stops handing out work', () => {
    const steps = [step('a'), step('b'), step('c', ['a'])];
    const l = createLedger(steps);
    expect(takeReady(l)).toBe(0);
    expect(settle(l, steps, 0, 'failed')).toEqual([]);
    expect(l.failedAt).toBe(0);
    // b is ready but the run has failed: nothing more starts.
    expect(takeReady(l)).toBeUndefined();
    expect(l.status[2]).toBe('pending');
    expect(unstartedSteps(l)).toEqual([1, 2]);
  });

  it('keeps the first failure as failedAt', () => {
    const steps = [step('a'), step('b')];
    const l = createLedger(steps);
    drain(l);
    settle(l, steps, 1, 'timed_out');
    settle(l, steps, 0, 'failed');
    expect(l.failedAt).toBe(1);
  });

  it.each(['failed', 'timed_out', 'cancelled'] as const)(
    'continueOnError tolerates %s and releases dependents',
    (status) => {
      const steps = [step('a', [], true), step('b', ['a'])];
      const l = createLedger(steps);
      drain(l);
      expect(settle(l, steps, 0, status)).toEqual([1]);
      expect(l.failedAt).toBe(-1);
      expect(drain(l)).toEqual([1]);
    },
  );

  it('lists live and unstarted steps', () => {
    const steps = [step('a'), step('b'), step('c', ['a'])];
    const l = createLedger(steps);
    drain(l);
    settle(l, steps, 0, 'succeeded');
    expect(liveSteps(l)).toEqual([1]);
    expect(unstartedSteps(l)).toEqual([2]);
  });
});

describe('isSettled', () => {
  it('is true only for final statuses', () => {
    expect((['pending', 'waiting', 'running', 'retrying'] as const).map(isSettled)).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(
      (['succeeded', 'failed', 'skipped', 'cancelled', 'timed_out', 'interrupted'] as const).map(
        isSettled,
      ),
    ).toEqual([true, true, true, true, true, true]);
  });
});

describe('resume from a prior state', () => {
  it('keeps settled steps settled and queues only what is left', () => {
    const l = createLedger(diamond, {
      a: { status: 'succeeded', attempts: 1 },
      b: { status: 'succeeded', attempts: 2 },
      c: { status: 'running', attempts: 1 },
    });
    expect(l.status).toEqual(['succeeded', 'succeeded', 'pending', 'pending']);
    expect(l.attemptsUsed).toEqual([1, 2, 1, 0]);
    expect(l.settled).toBe(2);
    expect(l.live).toBe(0);
    expect(drain(l)).toEqual([2]);
    expect(settle(l, diamond, 2, 'succeeded')).toEqual([3]);
    expect(drain(l)).toEqual([3]);
  });

  it('queues a step released by a resumed step exactly once', () => {
    // Regression: createLedger released b while settling a, then queued it again.
    const steps = [step('a'), step('b', ['a'])];
    const l = createLedger(steps, { a: { status: 'succeeded', attempts: 1 } });
    expect(l.ready.slice(l.readyHead)).toEqual([1]);
    expect(drain(l)).toEqual([1]);
    expect(l.live).toBe(1);
  });

  it('fails a resumed run whose settled step failed', () => {
    // Was resumed `interrupted`, which now runs again: `failed` is what stays settled.
    const l = createLedger(diamond, { a: { status: 'failed', attempts: 1 } });
    expect(l.failedAt).toBe(0);
    expect(takeReady(l)).toBeUndefined();
  });

  it('runs an interrupted step again, flagged interrupted, its attempts counted on', () => {
    const retry2 = { attempts: 2, backoffMs: 0, factor: 2, maxMs: 0, jitter: 0 };
    const steps = [{ ...step('a'), retry: retry2 }, step('b', ['a'])];
    const l = createLedger(steps, { a: { status: 'interrupted', attempts: 1 } });
    expect(l.failedAt).toBe(-1);
    expect(l.status).toEqual(['pending', 'pending']);
    expect(l.interrupted).toEqual([true, false]);
    expect(l.attemptsUsed).toEqual([1, 0]);
    expect(drain(l)).toEqual([0]);
  });

  // Was: "keeps an interrupted step whose attempts are used up settled interrupted". Lost
  // attempts no longer count against the retry policy: what settles it is losing too many.
  it('runs an interrupted step again though its retry policy is used up', () => {
    const l = createLedger(diamond, { a: { status: 'interrupted', attempts: 1, lostAttempts: 1 } });
    expect(l.failedAt).toBe(-1);
    expect(l.status[0]).toBe('pending');
    expect(l.interrupted[0]).toBe(true);
    expect(l.lostAttempts).toEqual([1, 0, 0, 0]);
    expect(l.attemptsUsed).toEqual([1, 0, 0, 0]);
    expect(drain(l)).toEqual([0]);
  });

  it(`runs an interrupted step again while it has lost at most MAX_LOST_ATTEMPTS (${MAX_LOST_ATTEMPTS})`, () => {
    const l = createLedger(diamond, {
      a: { status: 'interrupted', attempts: 3, lostAttempts: MAX_LOST_ATTEMPTS },
    });
    expect(l.interrupted[0]).toBe(true);
    expect(l.lostAttempts[0]).toBe(3);
    expect(drain(l)).toEqual([0]);
  });

  it('keeps an interrupted step that lost more than MAX_LOST_ATTEMPTS settled interrupted', () => {
    const l = createLedger(diamond, {
      a: { status: 'interrupted', attempts: 4, lostAttempts: MAX_LOST_ATTEMPTS + 1 },
    });
    expect(l.status[0]).toBe('interrupted');
    expect(l.interrupted[0]).toBe(false);
    expect(l.failedAt).toBe(0);
    expect(takeReady(l)).toBeUndefined();
  });

  it('runs an interrupted record without lostAttempts again (it counts as none lost)', () => {
    const l = createLedger(diamond, { a: { status: 'interrupted', attempts: 1 } });
    expect(l.interrupted[0]).toBe(true);
    expect(l.lostAttempts[0]).toBe(0);
  });

  it('goes on with a running attempt under its own number, with its elapsed time', () => {
    const l = createLedger(diamond, {
      a: { status: 'succeeded', attempts: 1 },
      b: {
        status: 'running',
        attempts: 2,
        lostAttempts: 1,
        attempt: { state: 'running', elapsedMs: 1_500 },
      },
    });
    expect(l.status).toEqual(['succeeded', 'pending', 'pending', 'pending']);
    // The step machine begins attempt attemptsUsed + 1 = 2 again.
    expect(l.attemptsUsed).toEqual([1, 1, 0, 0]);
    expect(l.resumed).toEqual([null, { state: 'running', elapsedMs: 1_500 }, null, null]);
    expect(l.lostAttempts).toEqual([0, 1, 0, 0]);
    expect(l.interrupted).toEqual([false, false, false, false]);
    expect(drain(l)).toEqual([1, 2]);
  });

  it('goes on with a backoff: the next attempt follows the attempts used', () => {
    const l = createLedger(diamond, {
      a: { status: 'retrying', attempts: 2, attempt: { state: 'retrying', remainingMs: 400 } },
    });
    expect(l.status[0]).toBe('pending');
    expect(l.attemptsUsed[0]).toBe(2);
    expect(l.resumed[0]).toEqual({ state: 'retrying', remainingMs: 400 });
    expect(drain(l)).toEqual([0]);
  });

  it('runs a running step recorded without an attempt again as its next attempt', () => {
    const l = createLedger(diamond, { a: { status: 'running', attempts: 1 } });
    expect(l.resumed[0]).toBeNull();
    expect(l.attemptsUsed[0]).toBe(1);
    expect(drain(l)).toEqual([0]);
  });

  it('never counts a resumed running attempt below zero', () => {
    const l = createLedger(diamond, {
      a: { status: 'running', attempts: 0, attempt: { state: 'running', elapsedMs: 0 } },
    });
    expect(l.attemptsUsed[0]).toBe(0);
  });

  it('ignores the attempt of a step that has settled', () => {
    const l = createLedger(diamond, {
      a: { status: 'succeeded', attempts: 1, attempt: { state: 'running', elapsedMs: 10 } },
    });
    expect(l.status[0]).toBe('succeeded');
    expect(l.resumed[0]).toBeNull();
    expect(l.attemptsUsed[0]).toBe(1);
  });

  it('stays plain JSON when resumed', () => {
    const l = createLedger(diamond, {
      a: { status: 'succeeded', attempts: 1 },
      b: { status: 'running', attempts: 1, attempt: { state: 'running', elapsedMs: 5 } },
      c: { status: 'interrupted', attempts: 1, lostAttempts: 1 },
    });
    expect(JSON.parse(JSON.stringify(l))).toEqual(l);
  });

  it('resumes a tolerated failure as released', () => {
    const steps = [step('a', [], true), step('b', ['a'])];
    const l = createLedger(steps, { a: { status: 'failed', attempts: 3 } });
    expect(l.failedAt).toBe(-1);
    expect(drain(l)).toEqual([1]);
  });

  it('completes at once when every step was settled', () => {
    const l = createLedger(diamond, {
      a: { status: 'succeeded', attempts: 1 },
      b: { status: 'succeeded', attempts: 1 },
      c: { status: 'skipped', attempts: 0 },
      d: { status: 'succeeded', attempts: 1 },
    });
    expect(allSettled(l)).toBe(true);
    expect(takeReady(l)).toBeUndefined();
  });
});

describe('cost per step', () => {
  const N = 10_000;

  /** Runs the whole DAG with at most `concurrency` live steps; returns elapsed ms. */
  function runAll(
    steps: StepDefinition[],
    concurrency: number,
  ): { ms: number; l: ExecutionLedger; maxQueue: number } {
    const t0 = performance.now();
    const l = createLedger(steps);
    const live: number[] = [];
    let maxQueue = 0;
    for (;;) {
      while (live.length < concurrency) {
        const i = takeReady(l);
        if (i === undefined) break;
        live.push(i);
      }
      const i = live.shift();
      if (i === undefined) break;
      settle(l, steps, i, 'succeeded');
      maxQueue = Math.max(maxQueue, l.ready.length);
    }
    return { ms: performance.now() - t0, l, maxQueue };
  }

  const chainOf = (n: number) =>
    Array.from({ length: n }, (_, i) => step(`s${i}`, i ? [`s${i - 1}`] : []));
  const fanOf = (n: number) => [
    step('root'),
    ...Array.from({ length: n - 1 }, (_, i) => step(`s${i}`, ['root'])),
  ];

  // Warm the JIT so the timed runs measure the algorithm, not compilation.
  /** The fastest of three runs: a loaded machine adds noise, never speed. */
  function bestOf3<T extends { ms: number }>(run: () => T): T {
    const runs = [run(), run(), run()];
    return runs.reduce((a, b) => (b.ms < a.ms ? b : a));
  }

  beforeAll(() => {
    runAll(chainOf(2_000), 16);
    runAll(fanOf(2_000), 16);
  });

  it(`settles a ${N}-step chain in well under 100 ms`, () => {
    const chain = chainOf(N);
    const { ms, l, maxQueue } = bestOf3(() => runAll(chain, 16));
    expect(allSettled(l)).toBe(true);
    // The consumed prefix of the ready queue is dropped now and then.
    expect(maxQueue).toBeLessThanOrEqual(2 * 1024 + 2);
    expect(ms).toBeLessThan(100);
  });

  it(`settles a ${N}-step fan-out in well under 100 ms`, () => {
    const fan = fanOf(N);
    const { ms, l } = bestOf3(() => runAll(fan, 16));
    expect(allSettled(l)).toBe(true);
    expect(l.live).toBe(0);
    expect(ms).toBeLessThan(100);
  });
});

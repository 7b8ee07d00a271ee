/**
 * The step machine across server restarts (issue 9): a step resumed mid-attempt goes on with the
 * same attempt and what is left of its timeout; one resumed mid-backoff waits what is left of it;
 * an attempt lost with its process runs again without using up the retry policy, at most
 * MAX_LOST_ATTEMPTS times. All on a simulated clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_LOST_ATTEMPTS, type AttemptResult } from '../../../machines/step.machine.ts';
import type { StepDefinition } from '../../../src/workflow/types.ts';
import { execStep, harness, inState, stopHarnesses, turn } from './step-harness.ts';

afterEach(stopHarnesses);

const lost: AttemptResult = { ok: false, exitCode: null, lost: true };

describe('step machine: resumed mid-attempt', () => {
  it('goes on with the same attempt number, passing elapsedMs and resumed to runAttempt', async () => {
    // The ledger hands a step recorded running its attempt 2 over as attemptsUsed 1.
    const h = harness({
      step: execStep({ retry: { attempts: 3 } }),
      attemptsUsed: 1,
      resumed: { state: 'running', elapsedMs: 300 },
    });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    expect(h.calls).toHaveLength(1);
    expect(h.calls[0]!.input).toEqual({
      executionId: 'x1',
      workflowId: 'wf',
      step: execStep({ retry: { attempts: 3 } }),
      attempt: 2,
      elapsedMs: 300,
      resumed: true,
      outputs: {},
    });
    expect(h.reports()).toEqual([
      { type: 'attempt.started', stepId: 'build', attempt: 2, resumed: true },
    ]);
    h.calls[0]!.resolve({ ok: true, exitCode: 0 });
    await inState(h.step, 'succeeded');
    expect(h.states()).toEqual(['waiting', 'running', 'succeeded']);
    expect(h.output()).toEqual({
      stepId: 'build',
      status: 'succeeded',
      attempts: 2,
      exitCode: 0,
      error: null,
      lostAttempts: 0,
    });
  });

  it('times out at timeout − elapsedMs, aborting the attempt', async () => {
    const h = harness({
      step: execStep({ timeoutMs: 1_000 }),
      resumed: { state: 'running', elapsedMs: 700 },
    });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.clock.increment(299);
    await turn();
    expect(h.step.getSnapshot().value).toBe('running');
    expect(h.calls[0]!.signal.aborted).toBe(false);
    h.clock.increment(1);
    await inState(h.step, 'timed_out');
    expect(h.calls[0]!.signal.aborted).toBe(true);
    // The message names the step's timeout, which the attempt used up in all.
    expect(h.output()).toEqual({
      stepId: 'build',
      status: 'timed_out',
      attempts: 1,
      exitCode: null,
      error: 'timed out after 1000 ms',
      lostAttempts: 0,
    });
  });

  it('uses what is left of the default timeout too', async () => {
    const h = harness({
      step: execStep(),
      defaultTimeoutMs: 500,
      resumed: { state: 'running', elapsedMs: 200 },
    });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.clock.increment(299);
    await turn();
    expect(h.step.getSnapshot().value).toBe('running');
    h.clock.increment(1);
    await inState(h.step, 'timed_out');
  });

  it('times out at once when the attempt ran past its timeout already', async () => {
    const h = harness({
      step: execStep({ timeoutMs: 1_000 }),
      resumed: { state: 'running', elapsedMs: 5_000 },
    });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.clock.increment(0);
    await inState(h.step, 'timed_out');
    expect(h.calls[0]!.signal.aborted).toBe(true);
  });

  it('starts later attempts fresh: elapsedMs 0, resumed false, the whole timeout', async () => {
    const h = harness({
      step: execStep({ timeoutMs: 1_000, retry: { attempts: 2, backoffMs: 100 } }),
      resumed: { state: 'running', elapsedMs: 700 },
    });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.clock.increment(300);
    await inState(h.step, 'retrying');
    expect(h.step.getSnapshot().context).toMatchObject({ elapsedMs: 0, resuming: false });
    h.clock.increment(100);
    await inState(h.step, 'running');
    expect(h.calls[1]!.input).toMatchObject({ attempt: 2, elapsedMs: 0, resumed: false });
    h.clock.increment(999);
    await turn();
    expect(h.step.getSnapshot().value).toBe('running');
    h.clock.increment(1);
    await inState(h.step, 'timed_out');
    expect(h.reports()).toEqual([
      { type: 'attempt.started', stepId: 'build', attempt: 1, resumed: true },
      {
        type: 'attempt.retrying',
        stepId: 'build',
        attempt: 1,
        delayMs: 100,
        error: 'timed out after 1000 ms',
      },
      { type: 'attempt.started', stepId: 'build', attempt: 2, resumed: false },
    ]);
    expect(h.output()).toMatchObject({ status: 'timed_out', attempts: 2 });
  });

  it('retries a resumed attempt that fails under its policy', async () => {
    const h = harness({
      step: execStep({ retry: { attempts: 2, backoffMs: 100 } }),
      resumed: { state: 'running', elapsedMs: 50 },
    });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.calls[0]!.resolve({ ok: false, exitCode: 1 });
    await inState(h.step, 'retrying');
    h.clock.increment(100);
    await inState(h.step, 'running');
    h.calls[1]!.resolve({ ok: false, exitCode: 1 });
    await inState(h.step, 'failed');
    expect(h.calls.map((c) => [c.input.attempt, c.input.resumed])).toEqual([
      [1, true],
      [2, false],
    ]);
  });

  it('passes a resumed noop through its turn', async () => {
    const h = harness({
      step: { ...execStep(), kind: 'noop' } as StepDefinition,
      resumed: { state: 'running', elapsedMs: 10 },
    });
    h.step.send({ type: 'start' });
    await inState(h.step, 'passing');
    h.step.send({ type: 'turn.passed' });
    await inState(h.step, 'succeeded');
    expect(h.calls).toHaveLength(0);
    expect(h.output()).toMatchObject({ status: 'succeeded', attempts: 1 });
  });
});

describe('step machine: resumed mid-backoff (backingOff)', () => {
  it('waits only remainingMs, with no new attempt.retrying, then runs the next attempt', async () => {
    const h = harness({
      step: execStep({ retry: { attempts: 3, backoffMs: 1_000 } }),
      attemptsUsed: 1,
      resumed: { state: 'retrying', remainingMs: 250 },
    });
    h.step.send({ type: 'start' });
    await inState(h.step, 'backingOff');
    expect(h.step.getSnapshot().context.retryDelayMs).toBe(250);
    h.clock.increment(249);
    await turn();
    expect(h.calls).toHaveLength(0);
    expect(h.step.getSnapshot().value).toBe('backingOff');
    h.clock.increment(1);
    await inState(h.step, 'running');
    expect(h.calls).toHaveLength(1);
    expect(h.calls[0]!.input).toMatchObject({ attempt: 2, elapsedMs: 0, resumed: false });
    expect(h.reports()).toEqual([
      { type: 'attempt.started', stepId: 'build', attempt: 2, resumed: false },
    ]);
    // A failure of that attempt backs off by the policy again: 1000 × 2^(3-2).
    h.calls[0]!.resolve({ ok: false, exitCode: 1 });
    await inState(h.step, 'retrying');
    expect(h.reports()[1]).toMatchObject({ type: 'attempt.retrying', attempt: 2, delayMs: 2_000 });
    h.clock.increment(2_000);
    await inState(h.step, 'running');
    h.calls[1]!.resolve({ ok: true, exitCode: 0 });
    await inState(h.step, 'succeeded');
    expect(h.states()).toEqual([
      'waiting',
      'backingOff',
      'running',
      'retrying',
      'running',
      'succeeded',
    ]);
    expect(h.output()).toMatchObject({ status: 'succeeded', attempts: 3, lostAttempts: 0 });
  });

  it('runs the next attempt on the next tick when nothing is left of the backoff', async () => {
    const h = harness({
      step: execStep({ retry: { attempts: 2 } }),
      attemptsUsed: 1,
      resumed: { state: 'retrying', remainingMs: 0 },
    });
    h.step.send({ type: 'start' });
    await inState(h.step, 'backingOff');
    h.clock.increment(0);
    await inState(h.step, 'running');
    expect(h.calls[0]!.input.attempt).toBe(2);
  });

  it('cancels while backing off and never starts the next attempt', async () => {
    const h = harness({
      step: execStep({ retry: { attempts: 3 } }),
      attemptsUsed: 1,
      resumed: { state: 'retrying', remainingMs: 500 },
    });
    h.step.send({ type: 'start' });
    await inState(h.step, 'backingOff');
    h.step.send({ type: 'cancel' });
    await inState(h.step, 'cancelled');
    h.clock.increment(10_000);
    await turn();
    expect(h.calls).toHaveLength(0);
    expect(h.reports()).toEqual([]);
    expect(h.output()).toEqual({
      stepId: 'build',
      status: 'cancelled',
      attempts: 1,
      exitCode: null,
      error: 'cancelled',
      lostAttempts: 0,
    });
  });

  it('ignores skip and a second start while backing off', async () => {
    const h = harness({
      step: execStep({ retry: { attempts: 2 } }),
      attemptsUsed: 1,
      resumed: { state: 'retrying', remainingMs: 100 },
    });
    h.step.send({ type: 'start' });
    await inState(h.step, 'backingOff');
    h.step.send({ type: 'skip' });
    h.step.send({ type: 'start' });
    await turn();
    expect(h.step.getSnapshot().value).toBe('backingOff');
    expect(h.calls).toHaveLength(0);
  });
});

describe('step machine: attempts lost with their process', () => {
  it('runs a lost attempt again as the next attempt, without using up the retry policy', async () => {
    const h = harness({ step: execStep({ retry: { attempts: 1 } }) });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    for (const n of [0, 1]) {
      h.calls[n]!.resolve(lost);
      // Straight to the next attempt: no backoff, no clock.
      await waitForCalls(h.calls, n + 2);
    }
    h.calls[2]!.resolve({ ok: true, exitCode: 0 });
    await inState(h.step, 'succeeded');
    expect(h.calls.map((c) => c.input.attempt)).toEqual([1, 2, 3]);
    expect(h.calls.map((c) => c.input.resumed)).toEqual([false, false, false]);
    expect(h.reports()).toEqual([
      { type: 'attempt.started', stepId: 'build', attempt: 1, resumed: false },
      { type: 'attempt.lost', stepId: 'build', attempt: 1, lostAttempts: 1 },
      { type: 'attempt.started', stepId: 'build', attempt: 2, resumed: false },
      { type: 'attempt.lost', stepId: 'build', attempt: 2, lostAttempts: 2 },
      { type: 'attempt.started', stepId: 'build', attempt: 3, resumed: false },
    ]);
    expect(h.output()).toEqual({
      stepId: 'build',
      status: 'succeeded',
      attempts: 3,
      exitCode: 0,
      error: null,
      lostAttempts: 2,
    });
  });

  it('still gives failures every retry of the policy after a lost attempt', async () => {
    const h = harness({ step: execStep({ retry: { attempts: 2, backoffMs: 100 } }) });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.calls[0]!.resolve(lost);
    await waitForCalls(h.calls, 2);
    h.calls[1]!.resolve({ ok: false, exitCode: 1 });
    // Attempt 2 is the step's first of its own: one retry is left.
    await inState(h.step, 'retrying');
    h.clock.increment(h.step.getSnapshot().context.retryDelayMs);
    await inState(h.step, 'running');
    h.calls[2]!.resolve({ ok: false, exitCode: 1 });
    await inState(h.step, 'failed');
    expect(h.output()).toMatchObject({ status: 'failed', attempts: 3, lostAttempts: 1 });
  });

  it(`ends interrupted after ${MAX_LOST_ATTEMPTS + 1} lost attempts, with lostAttempts ${MAX_LOST_ATTEMPTS + 1}`, async () => {
    const h = harness({ step: execStep({ retry: { attempts: 5 } }) });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    for (let n = 0; n < MAX_LOST_ATTEMPTS; n++) {
      h.calls[n]!.resolve(lost);
      await waitForCalls(h.calls, n + 2);
    }
    h.calls[MAX_LOST_ATTEMPTS]!.resolve(lost);
    await inState(h.step, 'stayedInterrupted');
    await turn();
    expect(h.calls).toHaveLength(4);
    // Reported only for the losses that run again; the fourth ends the step instead.
    expect(h.reports().filter((r) => r.type === 'attempt.lost')).toEqual(
      [1, 2, 3].map((n) => ({
        type: 'attempt.lost',
        stepId: 'build',
        attempt: n,
        lostAttempts: n,
      })),
    );
    expect(h.output()).toEqual({
      stepId: 'build',
      status: 'interrupted',
      attempts: 4,
      exitCode: null,
      error: 'the process running this step was lost',
      lostAttempts: 4,
    });
  });

  it('restarts the step timeout for the rerun of a lost attempt', async () => {
    const h = harness({ step: execStep({ timeoutMs: 1_000 }) });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.clock.increment(600);
    h.calls[0]!.resolve(lost);
    await waitForCalls(h.calls, 2);
    h.clock.increment(999);
    await turn();
    expect(h.step.getSnapshot().value).toBe('running');
    h.clock.increment(1);
    await inState(h.step, 'timed_out');
    expect(h.output()).toMatchObject({ status: 'timed_out', attempts: 2, lostAttempts: 1 });
  });

  it('reruns a resumed attempt that comes back lost as a fresh attempt', async () => {
    const h = harness({
      step: execStep({ timeoutMs: 1_000 }),
      resumed: { state: 'running', elapsedMs: 800 },
    });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.calls[0]!.resolve(lost);
    await waitForCalls(h.calls, 2);
    expect(h.calls[1]!.input).toMatchObject({ attempt: 2, elapsedMs: 0, resumed: false });
    // The rerun has the whole timeout, not the 200 ms the resumed attempt had left.
    h.clock.increment(999);
    await turn();
    expect(h.step.getSnapshot().value).toBe('running');
    h.calls[1]!.resolve({ ok: true, exitCode: 0 });
    await inState(h.step, 'succeeded');
    expect(h.output()).toMatchObject({ status: 'succeeded', attempts: 2, lostAttempts: 1 });
  });

  it('counts on from the lost attempts of an interrupted step', async () => {
    const h = harness({
      step: execStep(),
      attemptsUsed: 3,
      interrupted: true,
      lostAttempts: 3,
    });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.calls[0]!.resolve(lost);
    await inState(h.step, 'stayedInterrupted');
    expect(h.output()).toMatchObject({ status: 'interrupted', attempts: 4, lostAttempts: 4 });
  });

  it('cancels the rerun of a lost attempt like any attempt', async () => {
    const h = harness({ step: execStep() });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.calls[0]!.resolve(lost);
    await waitForCalls(h.calls, 2);
    h.step.send({ type: 'cancel' });
    await inState(h.step, 'cancelled');
    expect(h.calls[1]!.signal.aborted).toBe(true);
    expect(h.output()).toMatchObject({ status: 'cancelled', attempts: 2, lostAttempts: 1 });
  });
});

/** Waits until the stub has seen `n` attempts. */
async function waitForCalls(calls: readonly unknown[], n: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (calls.length < n) {
    if (Date.now() > deadline) throw new Error(`${n} attempts: not within 5000 ms`);
    await turn();
  }
}

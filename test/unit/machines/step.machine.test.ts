import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from 'xstate';
import { stepMachine } from '../../../machines/step.machine.ts';
import { backoffDelay, jitterSample } from '../../../machines/backoff.ts';
import { machineInfo } from '../../../src/runtime/machine-catalog.ts';
import type { StepDefinition } from '../../../src/workflow/types.ts';
import { execStep, harness, inState, stopHarnesses, turn } from './step-harness.ts';

afterEach(() => {
  stopHarnesses();
  vi.restoreAllMocks();
});

describe('step machine', () => {
  it('succeeds on the first try', async () => {
    const h = harness({ step: execStep() });
    expect(h.step.getSnapshot().value).toBe('waiting');
    expect(h.calls).toHaveLength(0);
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    expect(h.calls).toHaveLength(1);
    expect(h.calls[0]!.input).toEqual({
      executionId: 'x1',
      workflowId: 'wf',
      step: execStep(),
      attempt: 1,
      elapsedMs: 0,
      resumed: false,
      outputs: {},
    });
    h.calls[0]!.resolve({ ok: true, exitCode: 0 });
    await inState(h.step, 'succeeded');
    expect(h.output()).toEqual({
      stepId: 'build',
      status: 'succeeded',
      attempts: 1,
      exitCode: 0,
      error: null,
      lostAttempts: 0,
    });
    expect(h.reports()).toEqual([
      { type: 'attempt.started', stepId: 'build', attempt: 1, resumed: false },
    ]);
    expect(h.states()).toEqual(['waiting', 'running', 'succeeded']);
    expect(h.calls[0]!.signal.aborted).toBe(false);
  });

  it('retries a failure after 100 then 200 ms of backoff, then succeeds', async () => {
    const h = harness({ step: execStep({ retry: { attempts: 3, backoffMs: 100, factor: 2 } }) });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.calls[0]!.resolve({ ok: false, exitCode: 1 });
    await inState(h.step, 'retrying');

    h.clock.increment(99);
    await turn();
    expect(h.calls).toHaveLength(1);
    expect(h.step.getSnapshot().value).toBe('retrying');
    h.clock.increment(1);
    await inState(h.step, 'running');
    expect(h.calls).toHaveLength(2);
    expect(h.calls[1]!.input.attempt).toBe(2);

    h.calls[1]!.resolve({ ok: false, exitCode: 2, error: 'flaky' });
    await inState(h.step, 'retrying');
    h.clock.increment(199);
    await turn();
    expect(h.calls).toHaveLength(2);
    h.clock.increment(1);
    await inState(h.step, 'running');
    expect(h.calls).toHaveLength(3);

    h.calls[2]!.resolve({ ok: true, exitCode: 0 });
    await inState(h.step, 'succeeded');
    expect(h.output()).toEqual({
      stepId: 'build',
      status: 'succeeded',
      attempts: 3,
      exitCode: 0,
      error: null,
      lostAttempts: 0,
    });
    expect(h.reports()).toEqual([
      { type: 'attempt.started', stepId: 'build', attempt: 1, resumed: false },
      { type: 'attempt.retrying', stepId: 'build', attempt: 1, delayMs: 100, error: 'exit code 1' },
      { type: 'attempt.started', stepId: 'build', attempt: 2, resumed: false },
      { type: 'attempt.retrying', stepId: 'build', attempt: 2, delayMs: 200, error: 'flaky' },
      { type: 'attempt.started', stepId: 'build', attempt: 3, resumed: false },
    ]);
    expect(h.states()).toEqual([
      'waiting',
      'running',
      'retrying',
      'running',
      'retrying',
      'running',
      'succeeded',
    ]);
  });

  it('fails with the attempt count once attempts are exhausted', async () => {
    const h = harness({ step: execStep({ retry: { attempts: 2, backoffMs: 10 } }) });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.calls[0]!.resolve({ ok: false, exitCode: 1 });
    await inState(h.step, 'retrying');
    h.clock.increment(10);
    await inState(h.step, 'running');
    h.calls[1]!.resolve({ ok: false, exitCode: 3, error: 'still broken' });
    await inState(h.step, 'failed');
    expect(h.output()).toEqual({
      stepId: 'build',
      status: 'failed',
      attempts: 2,
      exitCode: 3,
      error: 'still broken',
      lostAttempts: 0,
    });
    h.clock.increment(60_000);
    await turn();
    expect(h.calls).toHaveLength(2);
  });

  it('does not retry a non-retryable failure', async () => {
    const h = harness({ step: execStep({ retry: { attempts: 5 } }) });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.calls[0]!.resolve({ ok: false, exitCode: 127, error: 'no such program', nonRetryable: true });
    await inState(h.step, 'failed');
    expect(h.output()).toMatchObject({ status: 'failed', attempts: 1, exitCode: 127 });
    expect(h.reports().map((r) => r.type)).toEqual(['attempt.started']);
    h.clock.increment(60_000);
    await turn();
    expect(h.calls).toHaveLength(1);
  });

  it('treats a rejected runAttempt as a failed attempt and retries it', async () => {
    const h = harness({ step: execStep({ retry: { attempts: 2, backoffMs: 50 } }) });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.calls[0]!.reject(new Error('spawn EAGAIN'));
    await inState(h.step, 'retrying');
    expect(h.reports()[1]).toMatchObject({ type: 'attempt.retrying', error: 'spawn EAGAIN' });
    h.clock.increment(50);
    await inState(h.step, 'running');
    h.calls[1]!.reject(new Error('spawn EAGAIN again'));
    await inState(h.step, 'failed');
    expect(h.output()).toEqual({
      stepId: 'build',
      status: 'failed',
      attempts: 2,
      exitCode: null,
      error: 'spawn EAGAIN again',
      lostAttempts: 0,
    });
  });

  it('times out after stepTimeout when no attempts are left, aborting the attempt', async () => {
    const h = harness({ step: execStep({ timeoutMs: 1_000 }) });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.clock.increment(999);
    await turn();
    expect(h.step.getSnapshot().value).toBe('running');
    expect(h.calls[0]!.signal.aborted).toBe(false);
    h.clock.increment(1);
    await inState(h.step, 'timed_out');
    expect(h.calls[0]!.signal.aborted).toBe(true);
    expect(h.output()).toEqual({
      stepId: 'build',
      status: 'timed_out',
      attempts: 1,
      exitCode: null,
      error: 'timed out after 1000 ms',
      lostAttempts: 0,
    });
  });

  it('uses the default timeout when the step sets none', async () => {
    const h = harness({ step: execStep(), defaultTimeoutMs: 500 });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.clock.increment(500);
    await inState(h.step, 'timed_out');
    expect(h.output()?.error).toBe('timed out after 500 ms');
  });

  it('never times out without a timeout', async () => {
    const h = harness({ step: execStep() });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.clock.increment(24 * 3600_000);
    await turn();
    expect(h.step.getSnapshot().value).toBe('running');
    expect(h.calls[0]!.signal.aborted).toBe(false);
  });

  it('retries after a timeout when attempts remain', async () => {
    const h = harness({
      step: execStep({ timeoutMs: 1_000, retry: { attempts: 2, backoffMs: 100 } }),
    });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.clock.increment(1_000);
    await inState(h.step, 'retrying');
    expect(h.calls[0]!.signal.aborted).toBe(true);
    expect(h.reports()[1]).toEqual({
      type: 'attempt.retrying',
      stepId: 'build',
      attempt: 1,
      delayMs: 100,
      error: 'timed out after 1000 ms',
    });
    h.clock.increment(100);
    await inState(h.step, 'running');
    expect(h.calls).toHaveLength(2);
    expect(h.calls[1]!.signal.aborted).toBe(false);
    h.calls[1]!.resolve({ ok: true, exitCode: 0 });
    await inState(h.step, 'succeeded');
    expect(h.output()).toMatchObject({ status: 'succeeded', attempts: 2, error: null });
  });

  it('restarts the step timeout for every attempt', async () => {
    const h = harness({
      step: execStep({ timeoutMs: 1_000, retry: { attempts: 2, backoffMs: 100 } }),
    });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.clock.increment(1_000);
    await inState(h.step, 'retrying');
    h.clock.increment(100);
    await inState(h.step, 'running');
    h.clock.increment(999);
    await turn();
    expect(h.step.getSnapshot().value).toBe('running');
    h.clock.increment(1);
    await inState(h.step, 'timed_out');
    expect(h.output()).toMatchObject({ status: 'timed_out', attempts: 2 });
    expect(h.calls.map((c) => c.signal.aborted)).toEqual([true, true]);
  });

  it('cancels while waiting without running anything', async () => {
    const h = harness({ step: execStep() });
    h.step.send({ type: 'cancel' });
    await inState(h.step, 'cancelled');
    expect(h.calls).toHaveLength(0);
    expect(h.reports()).toEqual([]);
    expect(h.output()).toEqual({
      stepId: 'build',
      status: 'cancelled',
      attempts: 0,
      exitCode: null,
      error: 'cancelled',
      lostAttempts: 0,
    });
  });

  it('cancels while running and aborts the attempt', async () => {
    const h = harness({ step: execStep({ timeoutMs: 5_000 }) });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.step.send({ type: 'cancel' });
    await inState(h.step, 'cancelled');
    expect(h.calls[0]!.signal.aborted).toBe(true);
    expect(h.output()).toMatchObject({ status: 'cancelled', attempts: 1, error: 'cancelled' });
    // A late result of the aborted attempt changes nothing.
    h.calls[0]!.resolve({ ok: true, exitCode: 0 });
    h.clock.increment(10_000);
    await turn();
    expect(h.step.getSnapshot().value).toBe('cancelled');
  });

  it('cancels while retrying and never starts the next attempt', async () => {
    const h = harness({ step: execStep({ retry: { attempts: 3, backoffMs: 100 } }) });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.calls[0]!.resolve({ ok: false, exitCode: 1 });
    await inState(h.step, 'retrying');
    h.step.send({ type: 'cancel' });
    await inState(h.step, 'cancelled');
    h.clock.increment(1_000);
    await turn();
    expect(h.calls).toHaveLength(1);
    expect(h.output()).toMatchObject({ status: 'cancelled', attempts: 1, exitCode: 1 });
    expect(h.output()?.error).toBeTruthy();
  });

  it('skips while waiting, keeping the reason', async () => {
    const h = harness({ step: execStep() });
    h.step.send({ type: 'skip', reason: "if: inputs.deploy == 'no'" });
    await inState(h.step, 'skipped');
    expect(h.calls).toHaveLength(0);
    expect(h.output()).toEqual({
      stepId: 'build',
      status: 'skipped',
      attempts: 0,
      exitCode: null,
      error: "if: inputs.deploy == 'no'",
      lostAttempts: 0,
    });
  });

  it('ignores skip and a second start once running', async () => {
    const h = harness({ step: execStep() });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.step.send({ type: 'skip' });
    h.step.send({ type: 'start' });
    await turn();
    expect(h.step.getSnapshot().value).toBe('running');
    expect(h.calls).toHaveLength(1);
  });

  it('passes a noop after one turn of the loop without a runAttempt attempt, reporting step.started', async () => {
    const h = harness({ step: { ...execStep(), kind: 'noop' } as StepDefinition });
    h.step.send({ type: 'start' });
    await inState(h.step, 'passing');
    expect(h.turnsAsked()).toBe(1);
    await turn();
    expect(h.step.getSnapshot().value).toBe('passing');
    h.step.send({ type: 'turn.passed' });
    await inState(h.step, 'succeeded');
    expect(h.calls).toHaveLength(0);
    expect(h.reports()).toEqual([
      { type: 'attempt.started', stepId: 'build', attempt: 1, resumed: false },
    ]);
    expect(h.states()).toEqual(['waiting', 'passing', 'succeeded']);
    expect(h.output()).toEqual({
      stepId: 'build',
      status: 'succeeded',
      attempts: 1,
      exitCode: null,
      error: null,
      lostAttempts: 0,
    });
  });

  it('cancels a noop waiting for its turn', async () => {
    const h = harness({ step: { ...execStep(), kind: 'noop' } as StepDefinition });
    h.step.send({ type: 'start' });
    await inState(h.step, 'passing');
    h.step.send({ type: 'cancel' });
    await inState(h.step, 'cancelled');
    expect(h.output()).toMatchObject({ status: 'cancelled', attempts: 1, error: 'cancelled' });
  });

  it('counts attempts on from attemptsUsed (an interrupted step resumed)', async () => {
    const h = harness({
      step: execStep({ retry: { attempts: 3, backoffMs: 100 } }),
      attemptsUsed: 2,
    });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    expect(h.calls[0]!.input.attempt).toBe(3);
    h.calls[0]!.resolve({ ok: false, exitCode: 1 });
    await inState(h.step, 'failed');
    expect(h.output()).toMatchObject({ status: 'failed', attempts: 3 });
  });

  describe('interrupted: resumed after the process running its attempt was lost', () => {
    it('starts interrupted and, started with lost attempts to spare, runs its next attempt at once', async () => {
      const h = harness({
        step: execStep({ retry: { attempts: 3, backoffMs: 100 } }),
        attemptsUsed: 1,
        interrupted: true,
        lostAttempts: 1,
      });
      expect(h.step.getSnapshot().value).toBe('interrupted');
      expect(h.calls).toHaveLength(0);
      h.step.send({ type: 'start' });
      await inState(h.step, 'running');
      expect(h.calls[0]!.input.attempt).toBe(2);
      h.calls[0]!.resolve({ ok: true, exitCode: 0 });
      await inState(h.step, 'succeeded');
      expect(h.states()).toEqual(['interrupted', 'running', 'succeeded']);
      // No backoff and no attempt.retrying: the record already says interrupted.
      expect(h.reports()).toEqual([
        { type: 'attempt.started', stepId: 'build', attempt: 2, resumed: false },
      ]);
      expect(h.output()).toMatchObject({
        status: 'succeeded',
        attempts: 2,
        error: null,
        lostAttempts: 1,
      });
    });

    it('retries on from there with its remaining attempts (a record without lostAttempts)', async () => {
      const h = harness({
        step: execStep({ retry: { attempts: 3, backoffMs: 100 } }),
        attemptsUsed: 1,
        interrupted: true,
      });
      h.step.send({ type: 'start' });
      await inState(h.step, 'running');
      h.calls[0]!.resolve({ ok: false, exitCode: 1 });
      await inState(h.step, 'retrying');
      // The backoff of the third attempt: 100 × 2^(3-2).
      expect(h.step.getSnapshot().context.retryDelayMs).toBe(200);
      h.clock.increment(200);
      await inState(h.step, 'running');
      h.calls[1]!.resolve({ ok: false, exitCode: 1 });
      await inState(h.step, 'failed');
      expect(h.calls.map((c) => c.input.attempt)).toEqual([2, 3]);
      expect(h.output()).toMatchObject({ status: 'failed', attempts: 3 });
    });

    it('does not count the lost attempt against its policy', async () => {
      const h = harness({
        step: execStep({ retry: { attempts: 3, backoffMs: 100 } }),
        attemptsUsed: 1,
        interrupted: true,
        lostAttempts: 1,
      });
      h.step.send({ type: 'start' });
      for (const [n, delay] of [
        [0, 100],
        [1, 200],
      ] as const) {
        await inState(h.step, 'running');
        h.calls[n]!.resolve({ ok: false, exitCode: 1 });
        await inState(h.step, 'retrying');
        // The backoff follows the step's own attempts (lost ones left out): 100 × 2^(n-1).
        expect(h.step.getSnapshot().context.retryDelayMs).toBe(delay);
        h.clock.increment(delay);
      }
      await inState(h.step, 'running');
      h.calls[2]!.resolve({ ok: false, exitCode: 1 });
      await inState(h.step, 'failed');
      // Three attempts of its own (2, 3, 4) besides the lost one.
      expect(h.calls.map((c) => c.input.attempt)).toEqual([2, 3, 4]);
      expect(h.output()).toMatchObject({ status: 'failed', attempts: 4, lostAttempts: 1 });
    });

    // Was: "ends interrupted, running nothing, when the cut-off attempt was its last". A lost
    // attempt is no longer one of the step's own: it runs again whatever its retry policy says.
    it('runs again even when the lost attempt was the last its policy allows', async () => {
      const h = harness({ step: execStep(), attemptsUsed: 1, interrupted: true, lostAttempts: 1 });
      h.step.send({ type: 'start' });
      await inState(h.step, 'running');
      expect(h.calls[0]!.input).toMatchObject({ attempt: 2, resumed: false, elapsedMs: 0 });
      h.calls[0]!.resolve({ ok: false, exitCode: 1 });
      // Its one attempt of its own has failed: no retry.
      await inState(h.step, 'failed');
      expect(h.states()).toEqual(['interrupted', 'running', 'failed']);
      expect(h.output()).toEqual({
        stepId: 'build',
        status: 'failed',
        attempts: 2,
        exitCode: 1,
        error: 'exit code 1',
        lostAttempts: 1,
      });
    });

    it('runs again after MAX_LOST_ATTEMPTS (3) lost attempts', async () => {
      const h = harness({ step: execStep(), attemptsUsed: 3, interrupted: true, lostAttempts: 3 });
      h.step.send({ type: 'start' });
      await inState(h.step, 'running');
      expect(h.calls[0]!.input.attempt).toBe(4);
      h.calls[0]!.resolve({ ok: true, exitCode: 0 });
      await inState(h.step, 'succeeded');
      expect(h.output()).toMatchObject({ status: 'succeeded', attempts: 4, lostAttempts: 3 });
    });

    it('ends interrupted, running nothing, once it has lost more than MAX_LOST_ATTEMPTS', async () => {
      const h = harness({
        step: execStep({ retry: { attempts: 5 } }),
        attemptsUsed: 4,
        interrupted: true,
        lostAttempts: 4,
      });
      h.step.send({ type: 'start' });
      await waitFor(h.step, (s) => s.status === 'done', { timeout: 5_000 });
      expect(h.calls).toHaveLength(0);
      expect(h.reports()).toEqual([]);
      expect(h.states()).toEqual(['interrupted', 'stayedInterrupted']);
      expect(h.output()).toEqual({
        stepId: 'build',
        status: 'interrupted',
        attempts: 4,
        exitCode: null,
        error: 'the process running this step was lost',
        lostAttempts: 4,
      });
    });

    it('passes an interrupted noop through its turn', async () => {
      const h = harness({
        step: { ...execStep({ retry: { attempts: 2 } }), kind: 'noop' } as StepDefinition,
        attemptsUsed: 1,
        interrupted: true,
      });
      h.step.send({ type: 'start' });
      await inState(h.step, 'passing');
      h.step.send({ type: 'turn.passed' });
      await inState(h.step, 'succeeded');
      expect(h.output()).toMatchObject({ status: 'succeeded', attempts: 2 });
    });

    it('cancels while interrupted without running anything', async () => {
      const h = harness({
        step: execStep({ retry: { attempts: 2 } }),
        attemptsUsed: 1,
        interrupted: true,
      });
      h.step.send({ type: 'cancel' });
      await inState(h.step, 'cancelled');
      expect(h.calls).toHaveLength(0);
      expect(h.output()).toMatchObject({ status: 'cancelled', attempts: 1, error: 'cancelled' });
    });

    it('is a state of the step statechart, shown in the machine catalog', () => {
      const info = machineInfo('step');
      expect(Object.keys(stepMachine.root.states)).toContain('interrupted');
      expect(info.mermaid).toContain('step_interrupted --> step_running : start [canRerunLost]');
      expect(info.mermaid).toContain('step_waiting --> step_interrupted : always [wasInterrupted]');
      expect(info.mermaid).toContain('step_running --> step_attemptLost : done [wasLost]');
      expect(info.mermaid).toContain('step_waiting --> step_backingOff : start [resumesBackoff]');
    });
  });

  it('draws the jitter sample from the retry itself when the retry is scheduled, never from Math.random', async () => {
    const random = vi.spyOn(Math, 'random');
    const retry = { attempts: 3, backoffMs: 100, jitter: 0.5 };
    const policy = execStep({ retry }).retry;
    const h = harness({ step: execStep({ retry }) });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.calls[0]!.resolve({ ok: false, exitCode: 1 });
    await inState(h.step, 'retrying');
    // base 100 ± 50, the sample drawn from (execution, step, next attempt).
    const first = backoffDelay(policy, 2, jitterSample('x1', 'build', 2));
    expect(first).toBeGreaterThanOrEqual(50);
    expect(first).toBeLessThanOrEqual(150);
    expect(h.reports()[1]).toMatchObject({ type: 'attempt.retrying', delayMs: first });
    h.clock.increment(first - 1);
    await turn();
    expect(h.calls).toHaveLength(1);
    h.clock.increment(1);
    await inState(h.step, 'running');
    h.calls[1]!.resolve({ ok: false, exitCode: 1 });
    await inState(h.step, 'retrying');
    const second = backoffDelay(policy, 3, jitterSample('x1', 'build', 3));
    expect(h.reports()[3]).toMatchObject({ type: 'attempt.retrying', delayMs: second });
    expect(random).not.toHaveBeenCalled();
  });

  it('waits the same jittered delay for the same retry, and another one in another execution', async () => {
    const retry = { attempts: 2, backoffMs: 1_000, jitter: 1 };
    const delayIn = async (executionId: string) => {
      const h = harness({ step: execStep({ retry }), executionId });
      h.step.send({ type: 'start' });
      await inState(h.step, 'running');
      h.calls[0]!.resolve({ ok: false, exitCode: 1 });
      await inState(h.step, 'retrying');
      return h.step.getSnapshot().context.retryDelayMs;
    };
    expect(await delayIn('x1')).toBe(await delayIn('x1'));
    const delays = new Set(await Promise.all(['a', 'b', 'c', 'd', 'e'].map(delayIn)));
    expect(delays.size).toBeGreaterThan(1);
  });

  it('produces a JSON-serialisable output of a fixed shape', async () => {
    const h = harness({ step: execStep() });
    h.step.send({ type: 'start' });
    await inState(h.step, 'running');
    h.calls[0]!.resolve({ ok: false, exitCode: 1 });
    await inState(h.step, 'failed');
    const out = h.output()!;
    expect(Object.keys(out).sort()).toEqual([
      'attempts',
      'error',
      'exitCode',
      'lostAttempts',
      'status',
      'stepId',
    ]);
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
    expect(out).toEqual({
      stepId: 'build',
      status: 'failed',
      attempts: 1,
      exitCode: 1,
      error: 'exit code 1',
      lostAttempts: 0,
    });
  });
});

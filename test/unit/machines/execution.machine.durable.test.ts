/**
 * The execution machine across server restarts (issue 9): attempts lost with their process are
 * forwarded as `step.interrupted` and run again; resumed steps go on with their attempt or
 * backoff; a resumed run's timeout counts the time it already ran. All on a simulated clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AttemptResult } from '../../../machines/step.machine.ts';
import { attempts, definition, ok, startRun, stopRuns } from './execution-harness.ts';

afterEach(stopRuns);

describe('execution machine: durable processes', () => {
  const lost: AttemptResult = { ok: false, exitCode: null, lost: true };
  const LOST = 'the process running this step was lost';

  it('forwards a lost attempt as step.interrupted with lostAttempts, then starts the next', async () => {
    const run = startRun(definition([{ id: 'a' }, { id: 'b', needs: ['a'] }]));
    await attempts(run, 1);
    run.call('a').resolve(lost);
    await attempts(run, 2);
    // Not final: b still waits for a.
    expect(run.calls.map((c) => `${c.input.step.id}#${c.input.attempt}`)).toEqual(['a#1', 'a#2']);
    run.call('a', 2).resolve(ok);
    await attempts(run, 3);
    run.call('b').resolve(ok);
    expect(await run.done()).toEqual({ executionId: 'x1', status: 'completed', error: null });
    expect(run.trace()).toEqual([
      'execution.started',
      'step.started a',
      'step.interrupted a',
      'step.started a',
      'step.completed a',
      'step.started b',
      'step.completed b',
      'execution.completed',
    ]);
    expect(run.events[2]).toEqual({
      type: 'step.interrupted',
      executionId: 'x1',
      workflowId: 'wf',
      stepId: 'a',
      attempt: 1,
      exitCode: null,
      error: LOST,
      lostAttempts: 1,
    });
    expect(run.events[3]).toEqual({
      type: 'step.started',
      executionId: 'x1',
      workflowId: 'wf',
      stepId: 'a',
      attempt: 2,
    });
    expect(run.events[4]).toMatchObject({ type: 'step.completed', attempt: 2 });
  });

  it('ends a step interrupted after four lost attempts, failing the run', async () => {
    const run = startRun(definition([{ id: 'a' }, { id: 'b', needs: ['a'] }]));
    for (let n = 1; n <= 4; n++) {
      await attempts(run, n);
      run.call('a', n).resolve(lost);
    }
    const output = await run.done();
    expect(output.status).toBe('failed');
    expect(output.error).toMatchObject({
      code: 'non_retryable',
      details: { stepId: 'a', exitCode: null, status: 'interrupted' },
    });
    expect(run.calls).toHaveLength(4);
    // The fourth loss is not forwarded as a rerun: it settles the step, one event.
    expect(run.trace()).toEqual([
      'execution.started',
      ...[1, 2, 3].flatMap(() => ['step.started a', 'step.interrupted a']),
      'step.started a',
      'step.interrupted a',
      'step.skipped b',
      'execution.failed',
    ]);
    const interrupted = run.events.filter((e) => e.type === 'step.interrupted');
    expect(interrupted.map((e) => ('lostAttempts' in e ? e.lostAttempts : undefined))).toEqual([
      1, 2, 3, 4,
    ]);
    expect(interrupted.at(-1)).toEqual({
      type: 'step.interrupted',
      executionId: 'x1',
      workflowId: 'wf',
      stepId: 'a',
      attempt: 4,
      exitCode: null,
      error: 'the process running this step was lost',
      lostAttempts: 4,
    });
  });

  it('hands an interrupted step its lostAttempts: one more loss ends it', async () => {
    const run = startRun(definition([{ id: 'a' }]), {
      resume: { a: { status: 'interrupted', attempts: 3, lostAttempts: 3 } },
    });
    await attempts(run, 1);
    expect(run.calls[0]!.input).toMatchObject({ attempt: 4, resumed: false, elapsedMs: 0 });
    run.call('a', 4).resolve(lost);
    const output = await run.done();
    expect(output.status).toBe('failed');
    expect(run.events.filter((e) => e.type === 'step.interrupted').at(-1)).toMatchObject({
      attempt: 4,
      lostAttempts: 4,
    });
  });

  it('goes on with a resumed attempt: same number, elapsedMs and resumed, step.started resumed', async () => {
    const retry = { attempts: 3, backoffMs: 100, factor: 2, maxMs: 1e4, jitter: 0 };
    const run = startRun(definition([{ id: 'a', retry }]), {
      resume: {
        a: { status: 'running', attempts: 2, attempt: { state: 'running', elapsedMs: 300 } },
      },
    });
    await attempts(run, 1);
    expect(run.calls[0]!.input).toMatchObject({ attempt: 2, elapsedMs: 300, resumed: true });
    run.call('a', 2).resolve(ok);
    await run.done();
    expect(run.trace()).toEqual([
      'execution.started',
      'step.started a',
      'step.completed a',
      'execution.completed',
    ]);
    expect(run.events[1]).toEqual({
      type: 'step.started',
      executionId: 'x1',
      workflowId: 'wf',
      stepId: 'a',
      attempt: 2,
      resumed: true,
    });
    expect(run.events[2]).toMatchObject({ type: 'step.completed', attempt: 2 });
  });

  it("times out a resumed attempt at what is left of its step's timeout", async () => {
    const run = startRun(definition([{ id: 'a', timeoutMs: 1_000 }]), {
      resume: {
        a: { status: 'running', attempts: 1, attempt: { state: 'running', elapsedMs: 600 } },
      },
    });
    await attempts(run, 1);
    run.clock.increment(399);
    await new Promise((resolve) => setImmediate(resolve));
    expect(run.call('a').signal.aborted).toBe(false);
    run.clock.increment(1);
    const output = await run.done();
    expect(run.call('a').signal.aborted).toBe(true);
    expect(output.error?.message).toBe("step 'a' timed out: timed out after 1000 ms");
  });

  it('resumes a step mid-backoff: no step.retrying, its next attempt after what is left', async () => {
    const retry = { attempts: 2, backoffMs: 1_000, factor: 2, maxMs: 1e4, jitter: 0 };
    const run = startRun(definition([{ id: 'a', retry }]), {
      resume: {
        a: { status: 'retrying', attempts: 1, attempt: { state: 'retrying', remainingMs: 40 } },
      },
    });
    await new Promise((resolve) => setImmediate(resolve));
    run.clock.increment(39);
    await new Promise((resolve) => setImmediate(resolve));
    expect(run.calls).toHaveLength(0);
    run.clock.increment(1);
    await attempts(run, 1);
    expect(run.calls[0]!.input).toMatchObject({ attempt: 2, resumed: false });
    run.call('a', 2).resolve(ok);
    await run.done();
    expect(run.trace()).toEqual([
      'execution.started',
      'step.started a',
      'step.completed a',
      'execution.completed',
    ]);
  });

  it('cancels a run whose step is backing off, never starting its next attempt', async () => {
    const retry = { attempts: 2, backoffMs: 1_000, factor: 2, maxMs: 1e4, jitter: 0 };
    const run = startRun(definition([{ id: 'a', retry }]), {
      resume: {
        a: { status: 'retrying', attempts: 1, attempt: { state: 'retrying', remainingMs: 40 } },
      },
    });
    run.actor.send({ type: 'cancel' });
    const output = await run.done();
    run.clock.increment(1_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(output.status).toBe('cancelled');
    expect(run.calls).toHaveLength(0);
    expect(run.trace()).toEqual(['execution.started', 'step.cancelled a', 'execution.cancelled']);
    expect(run.events[1]).toMatchObject({ attempt: 1 });
  });

  it('times a resumed run out after timeoutMs − elapsedMs', async () => {
    const run = startRun(definition([{ id: 'a' }], { timeoutMs: 5_000 }), { elapsedMs: 3_000 });
    await attempts(run, 1);
    run.clock.increment(1_999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(run.actor.getSnapshot().value).toEqual({ running: 'active' });
    run.clock.increment(1);
    const output = await run.done();
    expect(output).toEqual({
      executionId: 'x1',
      status: 'timed_out',
      error: { code: 'timeout', message: 'run timed out after 5000 ms', recoverable: false },
    });
    expect(run.call('a').signal.aborted).toBe(true);
  });

  it('times a resumed run out at once when it ran past its timeout', async () => {
    const run = startRun(definition([{ id: 'a' }], { timeoutMs: 5_000 }), { elapsedMs: 9_000 });
    await attempts(run, 1);
    run.clock.increment(0);
    expect((await run.done()).status).toBe('timed_out');
  });

  it('ignores elapsedMs without a run timeout', async () => {
    const run = startRun(definition([{ id: 'a' }]), { elapsedMs: 3_600_000 });
    await attempts(run, 1);
    run.clock.increment(24 * 3_600_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(run.actor.getSnapshot().value).toEqual({ running: 'active' });
    run.call('a').resolve(ok);
    expect((await run.done()).status).toBe('completed');
  });
});

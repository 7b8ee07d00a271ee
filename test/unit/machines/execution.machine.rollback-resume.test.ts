/**
 * A run resumed mid-rollback (`rollingBack` in its input: its record was `rolling_back`, with
 * the original error) goes straight back to rolling back and ends as it would have without the
 * restart: `timed_out` with the run timeout's error, or `failed` with the step's, whatever its
 * step records show. No step starts and the run timeout is not armed again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { WireError } from '../../../src/errors.ts';
import type { StepDefinition } from '../../../src/workflow/types.ts';
import { attempts, definition, ok, startRun, stopRuns, step } from './execution-harness.ts';

afterEach(stopRuns);

const undo = (id: string): StepDefinition => step({ id: `${id}:rollback` });

const timeoutError: WireError = {
  code: 'timeout',
  message: 'run timed out after 1000 ms',
  recoverable: false,
};

/** a → b → c with rollbacks on a and b, a 1 s run timeout. */
const chain = () =>
  definition(
    [
      { id: 'a', rollback: undo('a') },
      { id: 'b', needs: ['a'], rollback: undo('b') },
      { id: 'c', needs: ['b'] },
    ],
    { timeoutMs: 1000 },
  );

const succeeded = (second: number) => ({
  status: 'succeeded' as const,
  attempts: 1,
  finishedAt: `2026-01-01T00:00:0${second}.000Z`,
});

describe('execution machine: resumed mid-rollback', () => {
  it('after a run timeout: runs the rollbacks left and ends timed_out with the timeout error', async () => {
    const run = startRun(chain(), {
      resume: {
        a: succeeded(1),
        b: succeeded(2),
        c: { status: 'timed_out', attempts: 1 },
        'b:rollback': { status: 'succeeded', attempts: 1 },
        'a:rollback': {
          status: 'running',
          attempts: 1,
          attempt: { state: 'running', elapsedMs: 5 },
        },
      },
      // Long past its timeout: were it armed again, it would fire at once.
      elapsedMs: 60_000,
      rollingBack: { error: timeoutError },
    });
    await attempts(run, 1);
    expect(run.actor.getSnapshot().value).toBe('rolling_back');
    expect(run.calls.map((c) => c.input.step.id)).toEqual(['a:rollback']);
    expect(run.calls[0]!.input).toMatchObject({ attempt: 1, resumed: true });
    run.clock.increment(5_000);
    expect(run.calls[0]!.signal.aborted).toBe(false);
    run.call('a:rollback').resolve(ok);
    const out = await run.done();
    expect(out).toMatchObject({ status: 'timed_out', error: timeoutError });
    expect(run.trace().filter((t) => t.startsWith('execution.'))).toEqual([
      'execution.started',
      'execution.rolling_back',
      'execution.timed_out',
    ]);
    expect(run.events.find((e) => e.type === 'execution.rolling_back')).toMatchObject({
      steps: ['a'],
      error: timeoutError,
    });
    expect(run.events.at(-1)).toMatchObject({ type: 'execution.timed_out', error: timeoutError });
  });

  it('after a run timeout that no step failed (a paused run: the rest skipped): still timed_out', async () => {
    // Without the stored error this ledger reads as a finished run, and it would end completed.
    const run = startRun(chain(), {
      resume: {
        a: succeeded(1),
        b: { status: 'skipped', attempts: 0 },
        c: { status: 'skipped', attempts: 0 },
      },
      rollingBack: { error: timeoutError },
    });
    await attempts(run, 1);
    expect(run.calls.map((c) => c.input.step.id)).toEqual(['a:rollback']);
    run.call('a:rollback').resolve(ok);
    expect(await run.done()).toMatchObject({ status: 'timed_out', error: timeoutError });
  });

  it('after a step failure: ends failed with the original error', async () => {
    const error: WireError = {
      code: 'non_retryable',
      message: "step 'c' failed: exit 1",
      details: { stepId: 'c', exitCode: 1, status: 'failed' },
      recoverable: false,
    };
    const run = startRun(chain(), {
      resume: { a: succeeded(1), b: succeeded(2), c: { status: 'failed', attempts: 1 } },
      rollingBack: { error },
    });
    await attempts(run, 1);
    run.call('b:rollback').resolve(ok);
    await attempts(run, 2);
    run.call('a:rollback').resolve(ok);
    const out = await run.done();
    expect(out).toEqual({ executionId: 'x1', status: 'failed', error });
    expect(run.calls.map((c) => c.input.step.id)).toEqual(['b:rollback', 'a:rollback']);
  });

  it('every rollback ended before the restart: ends timed_out at once, nothing runs', async () => {
    const run = startRun(chain(), {
      resume: {
        a: succeeded(1),
        b: succeeded(2),
        c: { status: 'timed_out', attempts: 1 },
        'b:rollback': { status: 'succeeded', attempts: 1 },
        'a:rollback': { status: 'failed', attempts: 2 },
      },
      rollingBack: { error: timeoutError },
    });
    const out = await run.done();
    expect(out).toMatchObject({ status: 'timed_out', error: timeoutError });
    expect(run.calls).toEqual([]);
    expect(run.trace()).not.toContain('execution.rolling_back');
  });
});

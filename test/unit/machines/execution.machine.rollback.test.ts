/**
 * Rollback: a failed run undoes its succeeded steps in the reverse order of completion, one
 * rollback at a time, each a step actor with its own retry; a failed rollback does not stop the
 * others; a failing verify step rolls back too; a timed-out run rolls back and ends timed_out;
 * cancel stops the rollbacks; a run resumed mid-rollback skips the rollbacks that ended.
 * `execution.progress` counts declared steps as they start and settle.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StepDefinition } from '../../../src/workflow/types.ts';
import { attempts, definition, ok, startRun, stopRuns, step, until } from './execution-harness.ts';

afterEach(stopRuns);

const fail = { ok: false, exitCode: 1, error: 'exit 1' };
const undo = (id: string, over: Partial<StepDefinition> = {}): StepDefinition =>
  step({ id: `${id}:rollback`, ...over });

/** a → b → c → d, each with a rollback. */
const chain = () =>
  definition([
    { id: 'a', rollback: undo('a') },
    { id: 'b', needs: ['a'], rollback: undo('b') },
    { id: 'c', needs: ['b'], rollback: undo('c') },
    { id: 'd', needs: ['c'], rollback: undo('d') },
  ]);

const rollbackTrace = (trace: string[]) =>
  trace.filter(
    (t) => t.includes('rollback') || t.includes('rolled_back') || t.startsWith('execution.'),
  );

describe('execution machine: rollback', () => {
  it('rolls back b then a, one at a time, when c fails; d is skipped; the run ends failed', async () => {
    const run = startRun(chain());
    await attempts(run, 1);
    run.call('a').resolve(ok);
    await attempts(run, 2);
    run.call('b').resolve(ok);
    await attempts(run, 3);
    run.call('c').resolve(fail);
    await attempts(run, 4);
    expect(run.actor.getSnapshot().value).toBe('rolling_back');
    // One rollback at a time: b's first, a's not yet started.
    expect(run.calls.map((c) => c.input.step.id)).toEqual(['a', 'b', 'c', 'b:rollback']);
    run.call('b:rollback').resolve(ok);
    await attempts(run, 5);
    expect(run.calls[4]!.input.step.id).toBe('a:rollback');
    run.call('a:rollback').resolve(ok);
    const out = await run.done();
    expect(out.status).toBe('failed');
    expect(out.error).toMatchObject({ details: { stepId: 'c' } });
    expect(rollbackTrace(run.trace())).toEqual([
      'execution.started',
      'execution.rolling_back',
      'step.rollback_started b',
      'step.rolled_back b',
      'step.rollback_started a',
      'step.rolled_back a',
      'execution.failed',
    ]);
    expect(run.trace()).toContain('step.skipped d');
    expect(run.events.find((e) => e.type === 'execution.rolling_back')).toMatchObject({
      steps: ['b', 'a'],
      error: { details: { stepId: 'c' } },
    });
  });

  it('follows completion order, not definition order', async () => {
    const run = startRun(
      definition([
        { id: 'p', rollback: undo('p') },
        { id: 'q', rollback: undo('q') },
        { id: 'r', needs: ['p', 'q'] },
      ]),
    );
    await attempts(run, 2);
    run.call('q').resolve(ok);
    await until(() => run.trace().includes('step.completed q'));
    run.call('p').resolve(ok);
    await attempts(run, 3);
    run.call('r').resolve(fail);
    await attempts(run, 4);
    expect(run.calls[3]!.input.step.id).toBe('p:rollback');
    run.call('p:rollback').resolve(ok);
    await attempts(run, 5);
    expect(run.calls[4]!.input.step.id).toBe('q:rollback');
    run.call('q:rollback').resolve(ok);
    expect((await run.done()).status).toBe('failed');
  });

  it('retries a rollback by its own policy; a failed one does not stop the others', async () => {
    const def = chain();
    def.steps[1] = {
      ...def.steps[1]!,
      rollback: undo('b', {
        retry: { attempts: 2, backoffMs: 10, factor: 1, maxMs: 10, jitter: 0 },
      }),
    };
    const run = startRun(def);
    await attempts(run, 1);
    run.call('a').resolve(ok);
    await attempts(run, 2);
    run.call('b').resolve(ok);
    await attempts(run, 3);
    run.call('c').resolve(fail);
    await attempts(run, 4);
    run.call('b:rollback', 1).resolve(fail);
    // Let the rollback's step actor enter its backoff before the clock moves.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    run.clock.increment(10);
    await attempts(run, 5);
    run.call('b:rollback', 2).resolve(fail);
    await attempts(run, 6);
    run.call('a:rollback').resolve(ok);
    expect((await run.done()).status).toBe('failed');
    expect(rollbackTrace(run.trace())).toEqual([
      'execution.started',
      'execution.rolling_back',
      'step.rollback_started b',
      'step.rollback_started b',
      'step.rollback_failed b',
      'step.rollback_started a',
      'step.rolled_back a',
      'execution.failed',
    ]);
    expect(run.events.find((e) => e.type === 'step.rollback_failed')).toMatchObject({
      stepId: 'b',
      attempt: 2,
      error: 'exit 1',
    });
  });

  it('a failing verify step fails the run and rolls back; with a failed step, verify is skipped', async () => {
    const verify = (id: string, needs: string[]) => ({ id, needs, verify: true as const });
    const run = startRun(
      definition([{ id: 'a', rollback: undo('a') }, { id: 'b', needs: ['a'] }, verify('v', ['b'])]),
    );
    await attempts(run, 1);
    run.call('a').resolve(ok);
    await attempts(run, 2);
    run.call('b').resolve(ok);
    await attempts(run, 3);
    run.call('v').resolve(fail);
    await attempts(run, 4);
    expect(run.calls[3]!.input.step.id).toBe('a:rollback');
    run.call('a:rollback').resolve(ok);
    expect((await run.done()).status).toBe('failed');

    const second = startRun(
      definition([{ id: 'a', rollback: undo('a') }, { id: 'b', needs: ['a'] }, verify('v', ['b'])]),
    );
    await attempts(second, 1);
    second.call('a').resolve(ok);
    await attempts(second, 2);
    second.call('b').resolve(fail);
    await attempts(second, 3);
    second.call('a:rollback').resolve(ok);
    expect((await second.done()).status).toBe('failed');
    expect(second.trace()).toContain('step.skipped v');
    expect(second.calls.map((c) => c.input.step.id)).toEqual(['a', 'b', 'a:rollback']);
  });

  it('a run without rollbacks fails as before (no rolling_back event)', async () => {
    const run = startRun(definition([{ id: 'a' }, { id: 'b', needs: ['a'] }]));
    await attempts(run, 1);
    run.call('a').resolve(fail);
    expect((await run.done()).status).toBe('failed');
    expect(run.trace()).toEqual([
      'execution.started',
      'step.started a',
      'step.failed a',
      'step.skipped b',
      'execution.failed',
    ]);
  });

  it('a timed-out run rolls back and ends timed_out', async () => {
    const run = startRun(
      definition(
        [
          { id: 'a', rollback: undo('a') },
          { id: 'b', needs: ['a'] },
        ],
        { timeoutMs: 1000 },
      ),
    );
    await attempts(run, 1);
    run.call('a').resolve(ok);
    await attempts(run, 2);
    run.clock.increment(1000);
    await attempts(run, 3);
    expect(run.calls[2]!.input.step.id).toBe('a:rollback');
    run.call('a:rollback').resolve(ok);
    const out = await run.done();
    expect(out.status).toBe('timed_out');
    expect(run.trace()).toContain('step.timed_out b');
    expect(run.trace()).toContain('step.rolled_back a');
  });

  it('cancel while rolling back stops the rollback under way and ends cancelled', async () => {
    const run = startRun(chain());
    await attempts(run, 1);
    run.call('a').resolve(ok);
    await attempts(run, 2);
    run.call('b').resolve(fail);
    await attempts(run, 3);
    expect(run.calls[2]!.input.step.id).toBe('a:rollback');
    run.actor.send({ type: 'cancel', reason: 'enough' });
    const out = await run.done();
    expect(out.status).toBe('cancelled');
    expect(run.calls[2]!.signal.aborted).toBe(true);
    // The rollback under way is reported failed (its record does not stay running).
    expect(run.events.find((e) => e.type === 'step.rollback_failed')).toMatchObject({
      stepId: 'a',
      attempt: 1,
      error: 'run cancelled while rolling back',
    });
    expect(run.trace().slice(-2)).toEqual(['step.rollback_failed a', 'execution.cancelled']);
  });

  it('resumed mid-rollback: skips the rollbacks that ended, runs the rest once', async () => {
    const run = startRun(chain(), {
      resume: {
        a: { status: 'succeeded', attempts: 1, finishedAt: '2026-01-01T00:00:01.000Z' },
        b: { status: 'succeeded', attempts: 1, finishedAt: '2026-01-01T00:00:02.000Z' },
        c: { status: 'failed', attempts: 1 },
        'b:rollback': { status: 'succeeded', attempts: 1 },
      },
    });
    await attempts(run, 1);
    expect(run.calls.map((c) => c.input.step.id)).toEqual(['a:rollback']);
    run.call('a:rollback').resolve(ok);
    expect((await run.done()).status).toBe('failed');
    expect(run.events.find((e) => e.type === 'execution.rolling_back')).toMatchObject({
      steps: ['a'],
    });
  });

  it('resumed while a rollback was running: it goes on under the same attempt', async () => {
    const run = startRun(chain(), {
      resume: {
        a: { status: 'succeeded', attempts: 1, finishedAt: '2026-01-01T00:00:01.000Z' },
        b: { status: 'failed', attempts: 1 },
        'a:rollback': {
          status: 'running',
          attempts: 1,
          attempt: { state: 'running', elapsedMs: 5 },
        },
      },
    });
    await attempts(run, 1);
    expect(run.calls[0]!.input).toMatchObject({ attempt: 1, resumed: true });
    run.call('a:rollback').resolve(ok);
    expect((await run.done()).status).toBe('failed');
  });
});

describe('execution machine: progress', () => {
  it('reports completed, total and running as steps start and settle', async () => {
    const run = startRun(definition([{ id: 'a' }, { id: 'b' }, { id: 'c', needs: ['a', 'b'] }]));
    await attempts(run, 2);
    run.call('a').resolve(ok);
    await until(() => run.trace().includes('step.completed a'));
    run.call('b').resolve(ok);
    await attempts(run, 3);
    run.call('c').resolve(ok);
    expect((await run.done()).status).toBe('completed');
    const progress = run.progress.map((e) =>
      e.type === 'execution.progress' ? [e.completed, e.total, e.running] : [],
    );
    expect(progress).toEqual([
      [0, 3, 2],
      [1, 3, 1],
      [2, 3, 1],
      [3, 3, 0],
    ]);
  });

  it('reports nothing for a single-step run (its step events say it all)', async () => {
    const run = startRun(definition([{ id: 'a' }]));
    await attempts(run, 1);
    run.call('a').resolve(ok);
    expect((await run.done()).status).toBe('completed');
    expect(run.progress).toEqual([]);
    expect(run.trace()).toContain('step.completed a');
  });

  it('reports at most once per percent of a big run, and exactly at the end', async () => {
    const n = 1_000;
    const run = startRun(definition(Array.from({ length: n }, (_, i) => ({ id: `s${i}` }))));
    let settled = 0;
    while (settled < n) {
      await attempts(run, settled + 1);
      for (const c of run.calls.slice(settled)) c.resolve(ok);
      settled = run.calls.length;
    }
    expect((await run.done()).status).toBe('completed');
    const completed = run.progress.map((e) => (e.type === 'execution.progress' ? e.completed : -1));
    // One report per settle would be 1,001 events, each stored and fanned out.
    expect(completed.length).toBeLessThanOrEqual(102);
    expect(completed.at(-1)).toBe(n);
    const percents = completed.map((c) => Math.floor((c * 100) / n));
    expect(new Set(percents).size).toBe(percents.length);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
  });
});

/**
 * Pausing a run: no new step (or forEach instance) starts while paused, live steps finish and
 * are settled, resume starts what is ready; `pauseBefore` breakpoints; cancel and the run
 * timeout while paused; a run rehydrated paused starts nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { attempts, definition, ok, startRun, stopRuns, until } from './execution-harness.ts';

afterEach(stopRuns);

const chain = () => definition([{ id: 'a' }, { id: 'b', needs: ['a'] }, { id: 'c', needs: ['b'] }]);

const settleTurns = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('execution machine: pause and resume', () => {
  it('lets the running step finish, starts nothing while paused, then runs the rest', async () => {
    const run = startRun(chain());
    await attempts(run, 1);
    run.actor.send({ type: 'pause', by: 'alice' });
    expect(run.actor.getSnapshot().value).toEqual({ running: 'paused' });
    run.call('a').resolve(ok);
    await until(() => run.trace().includes('step.completed a'));
    await settleTurns();
    expect(run.calls.map((c) => c.input.step.id)).toEqual(['a']);
    // A second pause changes nothing and emits nothing.
    run.actor.send({ type: 'pause', by: 'bob' });
    expect(run.events.filter((e) => e.type === 'execution.paused')).toEqual([
      {
        type: 'execution.paused',
        executionId: 'x1',
        workflowId: 'wf',
        by: 'alice',
        reason: 'request',
      },
    ]);
    run.actor.send({ type: 'resume', by: 'carol' });
    await attempts(run, 2);
    run.call('b').resolve(ok);
    await attempts(run, 3);
    run.call('c').resolve(ok);
    expect((await run.done()).status).toBe('completed');
    expect(run.trace()).toEqual([
      'execution.started',
      'step.started a',
      'execution.paused',
      'step.completed a',
      'execution.resumed',
      'step.started b',
      'step.completed b',
      'step.started c',
      'step.completed c',
      'execution.completed',
    ]);
  });

  it('ignores resume of a run that is not paused', async () => {
    const run = startRun(chain());
    await attempts(run, 1);
    run.actor.send({ type: 'resume' });
    expect(run.events.some((e) => e.type === 'execution.resumed')).toBe(false);
    expect(run.actor.getSnapshot().value).toEqual({ running: 'active' });
  });

  it('pauses before a pauseBefore step, and resume starts it', async () => {
    const run = startRun(
      definition([
        { id: 'a' },
        { id: 'b', needs: ['a'], pauseBefore: true },
        { id: 'c', needs: ['b'] },
      ]),
    );
    await attempts(run, 1);
    run.call('a').resolve(ok);
    await until(() => run.events.some((e) => e.type === 'execution.paused'));
    expect(run.events.find((e) => e.type === 'execution.paused')).toEqual({
      type: 'execution.paused',
      executionId: 'x1',
      workflowId: 'wf',
      by: 'breakpoint',
      reason: 'breakpoint',
      stepId: 'b',
    });
    expect(run.actor.getSnapshot().value).toEqual({ running: 'paused' });
    await settleTurns();
    expect(run.calls).toHaveLength(1);
    run.actor.send({ type: 'resume' });
    await attempts(run, 2);
    run.call('b').resolve(ok);
    await attempts(run, 3);
    run.call('c').resolve(ok);
    expect((await run.done()).status).toBe('completed');
    expect(run.events.filter((e) => e.type === 'execution.paused')).toHaveLength(1);
  });

  it('is cancelled while paused, unstarted steps skipped', async () => {
    const run = startRun(chain());
    await attempts(run, 1);
    run.actor.send({ type: 'pause' });
    run.call('a').resolve(ok);
    await until(() => run.trace().includes('step.completed a'));
    run.actor.send({ type: 'cancel', reason: 'enough' });
    expect((await run.done()).status).toBe('cancelled');
    expect(run.trace().filter((t) => t.startsWith('step.skipped'))).toEqual([
      'step.skipped b',
      'step.skipped c',
    ]);
    expect(run.calls).toHaveLength(1);
  });

  it('keeps counting the run timeout while paused', async () => {
    const timed = startRun(
      definition([{ id: 'a' }, { id: 'b', needs: ['a'] }], { timeoutMs: 1000 }),
    );
    await attempts(timed, 1);
    timed.actor.send({ type: 'pause' });
    timed.call('a').resolve(ok);
    await until(() => timed.trace().includes('step.completed a'));
    timed.clock.increment(1000);
    expect((await timed.done()).status).toBe('timed_out');
    expect(timed.calls).toHaveLength(1);
  });

  it('starts nothing when rehydrated paused, until resumed', async () => {
    const run = startRun(chain(), {
      resume: { a: { status: 'succeeded', attempts: 1 } },
      paused: { by: 'alice', reason: 'request' },
    });
    await settleTurns();
    expect(run.actor.getSnapshot().value).toEqual({ running: 'paused' });
    expect(run.calls).toHaveLength(0);
    expect(run.events.some((e) => e.type === 'execution.paused')).toBe(false);
    run.actor.send({ type: 'resume' });
    await attempts(run, 1);
    expect(run.calls[0]!.input.step.id).toBe('b');
  });

  it('holds new forEach instances while paused', async () => {
    const run = startRun(definition([{ id: 'f', forEach: [1, 2, 3], concurrency: 1 }]));
    await attempts(run, 1);
    await until(() => run.calls.some((c) => c.input.step.id === 'f[0]'));
    run.actor.send({ type: 'pause' });
    run.call('f[0]').resolve(ok);
    await settleTurns();
    expect(run.calls.filter((c) => c.input.step.id.startsWith('f['))).toHaveLength(1);
    run.actor.send({ type: 'resume' });
    await until(() => run.calls.some((c) => c.input.step.id === 'f[1]'));
  });
});

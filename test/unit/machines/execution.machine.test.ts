import { afterEach, describe, expect, it } from 'vitest';
import { createActor, fromPromise, toPromise } from 'xstate';
import { stepMachine } from '../../../machines/step.machine.ts';
import { stepChildId, executionMachine } from '../../../machines/execution.machine.ts';
import type { ExecutionEvent } from '../../../src/events.ts';
import { passTurn } from '../../../src/runtime/pass-turn.ts';
import {
  attempts,
  definition,
  ok,
  startRun,
  stopRuns,
  stubRunStep,
  type StepSpec,
} from './execution-harness.ts';

afterEach(stopRuns);

describe('execution machine', () => {
  it('runs a diamond a -> (b, c) -> d in dependency order', async () => {
    const run = startRun(
      definition([
        { id: 'a' },
        { id: 'b', needs: ['a'] },
        { id: 'c', needs: ['a'] },
        { id: 'd', needs: ['b', 'c'] },
      ]),
    );
    await attempts(run, 1);
    expect(run.calls.map((c) => c.input.step.id)).toEqual(['a']);
    run.call('a').resolve(ok);
    await attempts(run, 3);
    expect(run.calls.map((c) => c.input.step.id)).toEqual(['a', 'b', 'c']);
    run.call('b').resolve(ok);
    await run.until(() => run.trace().includes('step.completed b'));
    expect(run.calls).toHaveLength(3); // d waits for c
    run.call('c').resolve(ok);
    await attempts(run, 4);
    run.call('d').resolve({ ok: true, exitCode: 0 });
    const output = await run.done();
    expect(output).toEqual({ executionId: 'x1', status: 'completed', error: null });
    expect(run.trace()).toEqual([
      'execution.started',
      'step.started a',
      'step.completed a',
      'step.started b',
      'step.started c',
      'step.completed b',
      'step.completed c',
      'step.started d',
      'step.completed d',
      'execution.completed',
    ]);
    expect(run.events[1]).toEqual({
      type: 'step.started',
      executionId: 'x1',
      workflowId: 'wf',
      stepId: 'a',
      attempt: 1,
    });
    expect(run.events[2]).toEqual({
      type: 'step.completed',
      executionId: 'x1',
      workflowId: 'wf',
      stepId: 'a',
      attempt: 1,
      exitCode: 0,
    });
    expect(run.events.at(-1)).toEqual({
      type: 'execution.completed',
      executionId: 'x1',
      workflowId: 'wf',
      status: 'completed',
      error: null,
    });
  });

  it('never runs more steps at once than its concurrency', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `s${i}`);
    const run = startRun(
      definition(
        ids.map((id) => ({ id })),
        { concurrency: 3 },
      ),
    );
    for (let n = 0; n < ids.length; n++) {
      await attempts(run, Math.min(n + 3, ids.length));
      expect(run.stats.running).toBeLessThanOrEqual(3);
      expect(Object.keys(run.actor.getSnapshot().children).length).toBeLessThanOrEqual(3);
      run.calls[n]!.resolve(ok);
    }
    await run.done();
    expect(run.calls.map((c) => c.input.step.id)).toEqual(ids);
    expect(run.stats.maxRunning).toBe(3);
    expect(run.maxChildren()).toBeLessThanOrEqual(3);
    expect(Object.keys(run.actor.getSnapshot().children).length).toBeLessThanOrEqual(3);
  });

  it('fails the run on a failure: cancels live siblings, skips unstarted steps', async () => {
    const run = startRun(
      definition([{ id: 'a' }, { id: 'b' }, { id: 'c', needs: ['a'] }, { id: 'e' }], {
        concurrency: 2,
      }),
    );
    await attempts(run, 2);
    run.call('a').resolve({ ok: false, exitCode: 2, error: 'boom' });
    const output = await run.done();
    expect(run.call('b').signal.aborted).toBe(true);
    expect(run.calls).toHaveLength(2);
    expect(output.status).toBe('failed');
    expect(output.error).toMatchObject({
      code: 'non_retryable',
      message: "step 'a' failed: boom",
      details: { stepId: 'a', exitCode: 2, status: 'failed' },
      recoverable: false,
    });
    expect(run.trace()).toEqual([
      'execution.started',
      'step.started a',
      'step.started b',
      'step.failed a',
      'step.cancelled b',
      'step.skipped c',
      'step.skipped e',
      'execution.failed',
    ]);
    expect(run.events.find((e) => e.type === 'step.skipped')).toMatchObject({
      reason: 'run failed',
    });
    expect(run.events.at(-1)).toMatchObject({ type: 'execution.failed', error: output.error });
  });

  it('names a timed-out step in the run error', async () => {
    const run = startRun(definition([{ id: 'slow', timeoutMs: 1_000 }]));
    await attempts(run, 1);
    run.clock.increment(1_000);
    const output = await run.done();
    expect(output.status).toBe('failed');
    expect(output.error?.message).toBe("step 'slow' timed out: timed out after 1000 ms");
    expect(run.trace()).toContain('step.timed_out slow');
  });

  it('lets dependents of a continueOnError step run and completes', async () => {
    const run = startRun(
      definition([
        { id: 'a', continueOnError: true },
        { id: 'b', needs: ['a'] },
      ]),
    );
    await attempts(run, 1);
    run.call('a').resolve({ ok: false, exitCode: 1 });
    await attempts(run, 2);
    run.call('b').resolve(ok);
    const output = await run.done();
    expect(output).toEqual({ executionId: 'x1', status: 'completed', error: null });
    expect(run.trace()).toEqual([
      'execution.started',
      'step.started a',
      'step.failed a',
      'step.started b',
      'step.completed b',
      'execution.completed',
    ]);
  });

  it('forwards retries as step.retrying', async () => {
    const run = startRun(
      definition([
        { id: 'a', retry: { attempts: 2, backoffMs: 250, factor: 2, maxMs: 1e4, jitter: 0 } },
      ]),
    );
    await attempts(run, 1);
    run.call('a').resolve({ ok: false, exitCode: 1 });
    await run.until(() => run.trace().includes('step.retrying a'));
    run.clock.increment(250);
    await attempts(run, 2);
    run.call('a', 2).resolve(ok);
    await run.done();
    expect(run.trace()).toEqual([
      'execution.started',
      'step.started a',
      'step.retrying a',
      'step.started a',
      'step.completed a',
      'execution.completed',
    ]);
    expect(run.events[2]).toEqual({
      type: 'step.retrying',
      executionId: 'x1',
      workflowId: 'wf',
      stepId: 'a',
      attempt: 1,
      delayMs: 250,
      error: 'exit code 1',
    });
    expect(run.events[4]).toMatchObject({ type: 'step.completed', attempt: 2 });
  });

  it('cancels: every live step is cancelled and unstarted ones skipped', async () => {
    const run = startRun(definition([{ id: 'a' }, { id: 'b' }, { id: 'c', needs: ['a'] }]));
    await attempts(run, 2);
    run.actor.send({ type: 'cancel', reason: 'operator said so' });
    const output = await run.done();
    expect(output).toEqual({
      executionId: 'x1',
      status: 'cancelled',
      error: { code: 'cancelled', message: 'operator said so', recoverable: false },
    });
    expect(run.calls.map((c) => c.signal.aborted)).toEqual([true, true]);
    expect(run.stats.running).toBe(0);
    expect(run.trace()).toEqual([
      'execution.started',
      'step.started a',
      'step.started b',
      'step.cancelled a',
      'step.cancelled b',
      'step.skipped c',
      'execution.cancelled',
    ]);
    expect(run.events[3]).toMatchObject({ attempt: 1, error: 'run cancelled' });
  });

  it('reports the attempt a live step was on when the run is cancelled', async () => {
    // Regression: abandonRest reported ledger.attemptsUsed, which only holds attempts from a
    // previous process, so a step cancelled on its second attempt was reported as attempt 1.
    const retry = { attempts: 3, backoffMs: 100, factor: 2, maxMs: 1e4, jitter: 0 };
    const run = startRun(definition([{ id: 'a', retry }]));
    await attempts(run, 1);
    run.call('a').resolve({ ok: false, exitCode: 1 });
    await run.until(() => run.trace().includes('step.retrying a'));
    run.clock.increment(100);
    await attempts(run, 2);
    run.actor.send({ type: 'cancel' });
    await run.done();
    expect(run.call('a', 2).signal.aborted).toBe(true);
    expect(run.events.find((e) => e.type === 'step.cancelled')).toMatchObject({
      stepId: 'a',
      attempt: 2,
    });
  });

  it('applies the default step timeout to steps that set none', async () => {
    const run = startRun(definition([{ id: 'a' }], { defaultTimeoutMs: 2_000 }));
    await attempts(run, 1);
    run.clock.increment(2_000);
    const output = await run.done();
    expect(run.call('a').signal.aborted).toBe(true);
    expect(output.status).toBe('failed');
    expect(run.trace()).toContain('step.timed_out a');
  });

  it('completes a run without steps at once', async () => {
    const run = startRun(definition([]));
    expect(await run.done()).toEqual({ executionId: 'x1', status: 'completed', error: null });
    expect(run.trace()).toEqual(['execution.started', 'execution.completed']);
  });

  it('cancels before start without running anything', async () => {
    const stub = stubRunStep();
    const actor = createActor(
      executionMachine.provide({
        actors: { step: stepMachine.provide({ actors: { runAttempt: stub.logic } }) },
      }),
      { input: { executionId: 'x1', workflowId: 'wf', definition: definition([{ id: 'a' }]) } },
    );
    const types: string[] = [];
    actor.on('*', (e) => e.type !== 'execution.progress' && types.push(e.type));
    actor.start();
    actor.send({ type: 'cancel' });
    const output = await toPromise(actor);
    expect(output.status).toBe('cancelled');
    expect(output.error?.message).toBe('cancelled before start');
    expect(stub.calls).toHaveLength(0);
    expect(types).toEqual(['step.skipped', 'execution.cancelled']);
  });

  it('times out the run after timeoutMs, timing out live steps', async () => {
    const run = startRun(
      definition([{ id: 'a' }, { id: 'b', needs: ['a'] }], { timeoutMs: 5_000 }),
    );
    await attempts(run, 1);
    run.clock.increment(4_999);
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
    expect(run.trace()).toEqual([
      'execution.started',
      'step.started a',
      'step.timed_out a',
      'step.skipped b',
      'execution.timed_out',
    ]);
  });

  it('settles a crashed step actor as a failed step with an internal error', async () => {
    const crashing = fromPromise(async () => {
      throw new Error('step logic bug');
    });
    const actor = createActor(
      executionMachine.provide({ actors: { step: crashing as unknown as typeof stepMachine } }),
      { input: { executionId: 'x1', workflowId: 'wf', definition: definition([{ id: 'a' }]) } },
    );
    const events: ExecutionEvent[] = [];
    actor.on('*', (e) => e.type !== 'execution.progress' && events.push(e));
    actor.start();
    actor.send({ type: 'start' });
    const output = await toPromise(actor);
    expect(output.status).toBe('failed');
    expect(output.error).toMatchObject({ code: 'internal', details: { stepId: 'a' } });
    expect(output.error?.message).toContain('step logic bug');
    expect(events.map((e) => e.type)).toEqual([
      'execution.started',
      'step.failed',
      'execution.failed',
    ]);
  });

  it('resumes: runs only the steps not yet settled', async () => {
    const run = startRun(
      definition([
        { id: 'a' },
        { id: 'b', needs: ['a'] },
        { id: 'c', needs: ['a'] },
        { id: 'd', needs: ['b', 'c'] },
      ]),
      {
        resume: {
          a: { status: 'succeeded', attempts: 1 },
          b: { status: 'succeeded', attempts: 2 },
        },
      },
    );
    await attempts(run, 1);
    expect(run.calls.map((c) => c.input.step.id)).toEqual(['c']);
    run.call('c').resolve(ok);
    await attempts(run, 2);
    run.call('d').resolve(ok);
    const output = await run.done();
    expect(output.status).toBe('completed');
    expect(run.calls.map((c) => c.input.step.id)).toEqual(['c', 'd']);
    expect(run.trace()).toEqual([
      'execution.started',
      'step.started c',
      'step.completed c',
      'step.started d',
      'step.completed d',
      'execution.completed',
    ]);
  });

  it('names step children by slot, reusing freed slots', async () => {
    expect(stepChildId(3)).toBe('step:3');
    const steps = Array.from({ length: 12 }, (_, i) => ({ id: `s${i}` }));
    const run = startRun(definition(steps, { concurrency: 3 }));
    const seen = new Set<string>();
    const sub = run.actor.subscribe((s) => Object.keys(s.children).forEach((k) => seen.add(k)));
    let settled = 0;
    while (run.actor.getSnapshot().status === 'active') {
      await run.until(() => run.calls.length > settled, 'a live step');
      for (const c of run.calls.slice(settled)) c.resolve({ ok: true, exitCode: 0 });
      settled = run.calls.length;
      await run.until(
        () => run.calls.length > settled || run.actor.getSnapshot().status !== 'active',
      );
    }
    sub.unsubscribe();
    expect([...seen].sort()).toEqual(['step:0', 'step:1', 'step:2']);
    expect(run.actor.getSnapshot().output?.status).toBe('completed');
  });
});

describe('execution machine at scale', () => {
  /** Runs `n` noop steps as a fan-out (root + n-1 dependents) or a chain; returns ms/step. */
  async function perStep(shape: 'fan' | 'chain', n: number): Promise<number> {
    const steps: StepSpec[] = Array.from({ length: n }, (_, i) => ({
      id: `s${i}`,
      kind: 'noop',
      needs: i === 0 ? [] : shape === 'fan' ? ['s0'] : [`s${i - 1}`],
    }));
    const def = definition(steps, { concurrency: 8 });
    const actor = createActor(
      executionMachine.provide({
        actors: {
          step: stepMachine.provide({
            actors: { runAttempt: stubRunStep().logic },
            actions: { passTurn },
          }),
        },
      }),
      { input: { executionId: 'big', workflowId: 'wf', definition: def } },
    );
    let completed = 0;
    let maxChildren = 0;
    actor.on('step.completed', () => completed++);
    actor.subscribe((s) => {
      maxChildren = Math.max(maxChildren, Object.keys(s.children).length);
    });
    const t0 = performance.now();
    actor.start();
    actor.send({ type: 'start' });
    const output = await toPromise(actor);
    const ms = performance.now() - t0;
    expect(output.status).toBe('completed');
    expect(completed).toBe(n);
    expect(maxChildren).toBeLessThanOrEqual(8);
    return ms / n;
  }

  it.each(['fan', 'chain'] as const)(
    'completes a 10,000-step noop %s with flat cost per step',
    async (shape) => {
      await perStep(shape, 2_000); // warm the JIT
      const small = Math.min(
        await perStep(shape, 1_000),
        await perStep(shape, 1_000),
        await perStep(shape, 1_000),
      );
      // A second large run only when the first was slowed by GC or a busy neighbour.
      let large = await perStep(shape, 10_000);
      if (large >= 3 * small) large = Math.min(large, await perStep(shape, 10_000));
      expect(large).toBeLessThan(3 * small);
    },
    60_000,
  );
});

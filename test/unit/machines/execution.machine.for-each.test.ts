import { afterEach, describe, expect, it } from 'vitest';
import { attempts, definition, ok, startRun, stopRuns, until } from './execution-harness.ts';
import type { ResumedStep } from '../../../machines/execution-ledger.ts';

afterEach(stopRuns);

describe('execution machine: forEach', () => {
  it('runs one instance per item, at most `concurrency` at once, and lists their outputs', async () => {
    const run = startRun(
      definition([
        { id: 'fan', forEach: 'inputs.hosts', concurrency: 2 },
        { id: 'after', needs: ['fan'] },
      ]),
      { inputs: { hosts: ['a', 'b', 'c', 'd', 'e'] } },
    );
    await attempts(run, 2);
    expect(run.calls.map((c) => [c.input.step.id, c.input.item])).toEqual([
      ['fan[0]', { value: 'a', index: 0 }],
      ['fan[1]', { value: 'b', index: 1 }],
    ]);
    // Finish them out of order: outputs stay in item order.
    for (const n of [1, 0, 3, 2, 4]) {
      await until(() => run.calls.some((c) => c.input.step.id === `fan[${n}]`), `fan[${n}]`);
      run.call(`fan[${n}]`).resolve({ ok: true, exitCode: 0, outputs: { n } });
    }
    await attempts(run, 6);
    expect(run.stats.maxRunning).toBe(2);
    expect(run.calls[5]!.input.outputs['fan']).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
    run.call('after').resolve(ok);
    expect((await run.done()).status).toBe('completed');
    const started = run.events.find((e) => e.type === 'step.started' && e.stepId === 'fan');
    expect(started).toMatchObject({ items: 5 });
    const done = run.events.find((e) => e.type === 'step.completed' && e.stepId === 'fan');
    expect(done).toMatchObject({ outputs: [0, 1, 2, 3, 4].map((n) => ({ n })) });
    expect(run.maxChildren()).toBeLessThanOrEqual(3);
  });

  it('fails the step when an instance fails after its retries; live ones are cancelled, dependents skipped', async () => {
    const run = startRun(
      definition([
        { id: 'fan', forEach: [1, 2, 3, 4, 5, 6], concurrency: 3 },
        { id: 'after', needs: ['fan'] },
        { id: 'cleanup', needs: ['fan'], when: 'failure' },
      ]),
    );
    await attempts(run, 3);
    run.call('fan[1]').resolve({ ok: false, exitCode: 3 });
    const output = await run.done();
    expect(output.status).toBe('failed');
    expect(output.error?.message).toMatch(
      /step 'fan' failed: instance fan\[1\] failed: exit code 3/,
    );
    expect(run.calls.map((c) => c.input.step.id)).toEqual(['fan[0]', 'fan[1]', 'fan[2]']);
    expect(run.calls[0]!.signal.aborted).toBe(true);
    const t = run.trace();
    expect(t).toContain('step.failed fan[1]');
    expect(t).toContain('step.cancelled fan[0]');
    expect(t).toContain('step.cancelled fan[2]');
    expect(t).toContain('step.failed fan');
    expect(t).toContain('step.skipped after');
  });

  it('a continueOnError fan-out lets when: failure dependents run', async () => {
    const run = startRun(
      definition([
        { id: 'fan', forEach: ['x'], continueOnError: true },
        { id: 'onFail', needs: ['fan'], when: 'failure' },
      ]),
    );
    await attempts(run, 1);
    run.call('fan[0]').resolve({ ok: false, exitCode: 1 });
    await attempts(run, 2);
    run.call('onFail').resolve(ok);
    expect((await run.done()).status).toBe('completed');
  });

  it('an empty list succeeds at once with no outputs; a non-list fails the step', async () => {
    const empty = startRun(definition([{ id: 'fan', forEach: 'inputs.none' }]), {
      inputs: { none: [] },
    });
    expect((await empty.done()).status).toBe('completed');
    expect(empty.events.find((e) => e.type === 'step.completed')).toMatchObject({ outputs: [] });

    const bad = startRun(definition([{ id: 'fan', forEach: 'inputs.n' }]), { inputs: { n: 3 } });
    const out = await bad.done();
    expect(out.status).toBe('failed');
    expect(bad.events.find((e) => e.type === 'step.failed')).toMatchObject({
      stepId: 'fan',
      error: 'forEach: yielded number, not a list',
    });
    expect(bad.calls).toHaveLength(0);
  });

  it('refuses 10,001 items with a clear error and runs none', async () => {
    const run = startRun(definition([{ id: 'fan', forEach: 'inputs.xs' }]), {
      inputs: { xs: Array.from({ length: 10_001 }, (_, i) => i) },
    });
    expect((await run.done()).status).toBe('failed');
    expect(run.events.find((e) => e.type === 'step.failed')).toMatchObject({
      error: 'forEach has 10001 items; at most 10000 are run',
    });
    expect(run.calls).toHaveLength(0);
  });

  it('cancelling the run cancels its live instances', async () => {
    const run = startRun(definition([{ id: 'fan', forEach: [1, 2, 3], concurrency: 2 }]));
    await attempts(run, 2);
    run.actor.send({ type: 'cancel' });
    expect((await run.done()).status).toBe('cancelled');
    expect(run.calls.every((c) => c.signal.aborted)).toBe(true);
    const t = run.trace();
    expect(t).toContain('step.cancelled fan[0]');
    expect(t).toContain('step.cancelled fan[1]');
    expect(t).toContain('step.cancelled fan');
  });

  it('after a restart, succeeded instances never run again and a running one goes on', async () => {
    const resume: Record<string, ResumedStep> = {
      fan: { status: 'running', attempts: 1, attempt: { state: 'running', elapsedMs: 5 } },
      'fan[0]': { status: 'succeeded', attempts: 1, outputs: { v: 'a' } },
      'fan[1]': { status: 'running', attempts: 1, attempt: { state: 'running', elapsedMs: 5 } },
      'fan[2]': { status: 'succeeded', attempts: 1 },
    };
    const run = startRun(definition([{ id: 'fan', forEach: ['a', 'b', 'c', 'd'], if: 'false' }]), {
      resume,
    });
    await attempts(run, 2);
    expect(run.calls.map((c) => [c.input.step.id, c.input.attempt, c.input.resumed])).toEqual([
      ['fan[1]', 1, true],
      ['fan[3]', 1, false],
    ]);
    run.call('fan[1]').resolve({ ok: true, exitCode: 0, outputs: { v: 'b' } });
    run.call('fan[3]').resolve(ok);
    expect((await run.done()).status).toBe('completed');
    const done = run.events.find((e) => e.type === 'step.completed' && e.stepId === 'fan');
    expect(done).toMatchObject({ outputs: [{ v: 'a' }, { v: 'b' }, {}, {}] });
  });

  it('after a restart that lost its processes, an interrupted instance runs again as a lost attempt', async () => {
    const resume: Record<string, ResumedStep> = {
      fan: { status: 'running', attempts: 1, attempt: { state: 'running', elapsedMs: 5 } },
      'fan[0]': { status: 'interrupted', attempts: 1, lostAttempts: 1 },
      'fan[1]': { status: 'cancelled', attempts: 2 },
    };
    const run = startRun(definition([{ id: 'fan', forEach: ['a', 'b'] }]), { resume });
    await attempts(run, 2);
    expect(run.calls.map((c) => [c.input.step.id, c.input.attempt, c.input.resumed])).toEqual([
      ['fan[0]', 2, false],
      ['fan[1]', 3, false],
    ]);
    run.call('fan[0]', 2).resolve(ok);
    run.call('fan[1]', 3).resolve(ok);
    expect((await run.done()).status).toBe('completed');
  });

  it('after a restart, an instance recorded failed fails the step without starting the others', async () => {
    const resume: Record<string, ResumedStep> = {
      fan: { status: 'running', attempts: 1, attempt: { state: 'running', elapsedMs: 5 } },
      'fan[1]': { status: 'failed', attempts: 1 },
    };
    const run = startRun(definition([{ id: 'fan', forEach: ['a', 'b', 'c'] }]), { resume });
    const out = await run.done();
    expect(out.status).toBe('failed');
    expect(out.error?.message).toMatch(/instance fan\[1\] failed/);
    expect(run.calls).toHaveLength(0);
  });

  it('10,000 noop instances at concurrency 50 finish without growing the children map', async () => {
    const run = startRun(
      definition([{ id: 'fan', kind: 'noop', forEach: 'inputs.xs', concurrency: 50 }], {
        concurrency: 4,
      }),
      { inputs: { xs: Array.from({ length: 10_000 }, (_, i) => i) } },
    );
    const t0 = performance.now();
    expect((await run.done()).status).toBe('completed');
    const ms = performance.now() - t0;
    expect(run.maxChildren()).toBeLessThanOrEqual(51);
    const completed = run.events.filter((e) => e.type === 'step.completed').length;
    expect(completed).toBe(10_001);
    expect(ms).toBeLessThan(10_000);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { attempts, definition, ok, startRun, stopRuns } from './execution-harness.ts';

afterEach(stopRuns);

describe('execution machine: if and needs.when', () => {
  it('skips a step whose condition is false, and its dependents, and completes', async () => {
    const run = startRun(
      definition([
        { id: 'a' },
        { id: 'deploy', needs: ['a'], if: 'inputs.branch == "main"' },
        { id: 'notify', needs: ['deploy'] },
        { id: 'report', needs: ['deploy'], when: 'always' },
      ]),
      { inputs: { branch: 'dev' } },
    );
    await attempts(run, 1);
    run.call('a').resolve(ok);
    await attempts(run, 2);
    expect(run.calls.map((c) => c.input.step.id)).toEqual(['a', 'report']);
    run.call('report').resolve(ok);
    const output = await run.done();
    expect(output.status).toBe('completed');
    const skipped = run.events.filter((e) => e.type === 'step.skipped');
    expect(skipped.map((e) => [e.stepId, 'reason' in e ? e.reason : ''])).toEqual([
      ['deploy', 'if: inputs.branch == "main" is false'],
      ['notify', "its needs did not end as 'when: success' asks"],
    ]);
  });

  it('runs a step whose condition holds, reading an earlier step’s outputs and status', async () => {
    const run = startRun(
      definition([
        { id: 'a' },
        { id: 'b', needs: ['a'], if: 'steps.a.status == "succeeded" && steps.a.outputs.n > 2' },
      ]),
    );
    await attempts(run, 1);
    run.call('a').resolve({ ok: true, exitCode: 0, outputs: { n: 3 } });
    await attempts(run, 2);
    run.call('b').resolve(ok);
    expect((await run.done()).status).toBe('completed');
  });

  it('fails the step (and the run) when the condition cannot be evaluated', async () => {
    const run = startRun(
      definition([{ id: 'a' }, { id: 'b', needs: ['a'], if: 'steps.a.outputs.missing == 1' }]),
    );
    await attempts(run, 1);
    run.call('a').resolve(ok);
    const output = await run.done();
    expect(output.status).toBe('failed');
    const failed = run.events.find((e) => e.type === 'step.failed');
    expect(failed).toMatchObject({ stepId: 'b', error: expect.stringMatching(/^if: .*missing/) });
    expect(run.calls).toHaveLength(1);
  });

  it('runs when: failure steps only when a need failed (tolerated), and skips them otherwise', async () => {
    const run = startRun(
      definition([
        { id: 'flaky', continueOnError: true },
        { id: 'fine' },
        { id: 'onFlaky', needs: ['flaky'], when: 'failure' },
        { id: 'onFine', needs: ['fine'], when: 'failure' },
      ]),
    );
    await attempts(run, 2);
    run.call('flaky').resolve({ ok: false, exitCode: 1 });
    run.call('fine').resolve(ok);
    await attempts(run, 3);
    expect(run.calls.map((c) => c.input.step.id)).toEqual(['flaky', 'fine', 'onFlaky']);
    run.call('onFlaky').resolve(ok);
    expect((await run.done()).status).toBe('completed');
    const skipped = run.events.filter((e) => e.type === 'step.skipped').map((e) => e.stepId);
    expect(skipped).toEqual(['onFine']);
  });

  it('keeps a 2,000-step chain of false conditions linear (each skip settles at once)', async () => {
    const steps = [{ id: 's0' }];
    for (let i = 1; i < 2000; i++) steps.push({ id: `s${i}`, needs: [`s${i - 1}`] } as never);
    (steps[1] as { if?: string }).if = 'false';
    const run = startRun(definition(steps));
    await attempts(run, 1);
    const t0 = performance.now();
    run.call('s0').resolve(ok);
    const output = await run.done();
    expect(output.status).toBe('completed');
    expect(run.events.filter((e) => e.type === 'step.skipped')).toHaveLength(1999);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

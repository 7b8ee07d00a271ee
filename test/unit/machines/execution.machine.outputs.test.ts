import { afterEach, describe, expect, it } from 'vitest';
import { attempts, definition, ok, startRun, stopRuns } from './execution-harness.ts';

afterEach(stopRuns);

describe('execution machine: outputs', () => {
  it('hands a succeeded step’s outputs to the steps that start after it, and emits them', async () => {
    const run = startRun(
      definition([{ id: 'a' }, { id: 'b', needs: ['a'] }, { id: 'c', needs: ['b'] }]),
    );
    await attempts(run, 1);
    expect(run.call('a').input.outputs).toEqual({});
    run.call('a').resolve({ ok: true, exitCode: 0, outputs: { version: '1.2.3' } });
    await attempts(run, 2);
    expect(run.call('b').input.outputs).toEqual({ a: { version: '1.2.3' } });
    run.call('b').resolve(ok);
    await attempts(run, 3);
    // b wrote none: c sees a's only.
    expect(run.call('c').input.outputs).toEqual({ a: { version: '1.2.3' } });
    run.call('c').resolve(ok);
    await run.done();
    const completed = run.events.filter((e) => e.type === 'step.completed');
    expect(completed.map((e) => ('outputs' in e ? e.outputs : undefined))).toEqual([
      { version: '1.2.3' },
      undefined,
      undefined,
    ]);
  });

  it('keeps no outputs of a failed attempt, even when it returned some', async () => {
    const run = startRun(
      definition([
        { id: 'a', retry: { attempts: 2, backoffMs: 1, factor: 1, maxMs: 1, jitter: 0 } },
        { id: 'b', needs: ['a'] },
      ]),
    );
    await attempts(run, 1);
    run.call('a').resolve({ ok: false, exitCode: 1, outputs: { stale: true } });
    await run.until(() => run.trace().includes('step.retrying a'));
    run.clock.increment(1);
    await attempts(run, 2);
    run.call('a', 2).resolve({ ok: true, exitCode: 0 });
    await attempts(run, 3);
    expect(run.call('b').input.outputs).toEqual({});
    run.call('b').resolve(ok);
    await run.done();
  });

  it('gives a resumed run the outputs of the steps that succeeded before the restart', async () => {
    const run = startRun(definition([{ id: 'a' }, { id: 'b', needs: ['a'] }]), {
      resume: { a: { status: 'succeeded', attempts: 1, outputs: { url: 'https://x' } } },
    });
    await attempts(run, 1);
    expect(run.call('b').input.outputs).toEqual({ a: { url: 'https://x' } });
    run.call('b').resolve(ok);
    await run.done();
  });
});

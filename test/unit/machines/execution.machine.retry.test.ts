/**
 * A retry run as the execution machine sees it: a `resume` whose succeeded steps were kept from
 * the run it retries (retry-plan.ts, adopt-execution.ts). Kept steps never start and emit nothing;
 * their outputs and statuses reach the steps that run; a dependent of a kept step and of a step
 * that runs again waits for the latter.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { attempts, definition, ok, startRun, stopRuns } from './execution-harness.ts';

afterEach(stopRuns);

describe('execution machine: a retry run', () => {
  it('starts only what was not kept, handing on the kept outputs', async () => {
    // a → b → c, a → d, (b, d) → e; a and d kept, b failed before.
    const run = startRun(
      definition([
        { id: 'a' },
        { id: 'b', needs: ['a'] },
        { id: 'c', needs: ['b'] },
        { id: 'd', needs: ['a'] },
        { id: 'e', needs: ['b', 'd'] },
      ]),
      {
        resume: {
          a: { status: 'succeeded', attempts: 1, outputs: { token: 't' } },
          d: { status: 'succeeded', attempts: 2, outputs: { n: 2 } },
        },
      },
    );
    await attempts(run, 1);
    expect(run.calls.map((c) => c.input.step.id)).toEqual(['b']);
    expect(run.call('b').input.outputs).toEqual({ a: { token: 't' }, d: { n: 2 } });
    run.call('b').resolve({ ok: true, exitCode: 0, outputs: { got: 't' } });
    await attempts(run, 3);
    expect(run.calls.map((c) => c.input.step.id).sort()).toEqual(['b', 'c', 'e']);
    expect(run.call('e').input.outputs).toEqual({
      a: { token: 't' },
      d: { n: 2 },
      b: { got: 't' },
    });
    run.call('c').resolve(ok);
    run.call('e').resolve(ok);
    expect((await run.done()).status).toBe('completed');
    const kept = run.events.filter((e) => 'stepId' in e && ['a', 'd'].includes(e.stepId));
    expect(kept).toEqual([]);
  });
});

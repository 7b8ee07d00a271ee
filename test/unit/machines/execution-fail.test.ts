import { describe, expect, it } from 'vitest';
import { createActor, toPromise } from 'xstate';
import { stepMachine } from '../../../machines/step.machine.ts';
import { executionMachine } from '../../../machines/execution.machine.ts';
import type { ExecutionEvent } from '../../../src/events.ts';
import { passTurn } from '../../../src/runtime/pass-turn.ts';
import { definition, stubRunStep } from './execution-harness.ts';

describe('execution machine: a run that cannot start', () => {
  it('goes from pending to failed with the given error, every step skipped, none run', async () => {
    const stub = stubRunStep();
    const machine = executionMachine.provide({
      actors: {
        step: stepMachine.provide({ actors: { runAttempt: stub.logic }, actions: { passTurn } }),
      },
    });
    const def = definition([{ id: 'a' }, { id: 'b', needs: ['a'] }]);
    const actor = createActor(machine, {
      input: { executionId: 'x1', workflowId: 'wf', definition: def },
    });
    const events: ExecutionEvent[] = [];
    actor.on('*', (e) => events.push(e));
    actor.start();
    const error = {
      code: 'secret_unavailable' as const,
      message: 'secret TOKEN: DEPLOY_TOKEN is not set',
      details: {
        secrets: [{ name: 'TOKEN', env: 'DEPLOY_TOKEN', reason: 'DEPLOY_TOKEN is not set' }],
      },
      recoverable: false,
    };
    actor.send({ type: 'fail', error });
    const output = await toPromise(actor);
    expect(output).toEqual({ executionId: 'x1', status: 'failed', error });
    expect(stub.calls).toHaveLength(0);
    expect(events.map((e) => ('stepId' in e ? `${e.type} ${e.stepId}` : e.type))).toEqual([
      'step.skipped a',
      'step.skipped b',
      'execution.failed',
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'execution.failed', error });
  });

  it('goes from pending to blocked when a policy refuses it: steps skipped, none run, the findings announced', async () => {
    const stub = stubRunStep();
    const machine = executionMachine.provide({
      actors: {
        step: stepMachine.provide({ actors: { runAttempt: stub.logic }, actions: { passTurn } }),
      },
    });
    const def = definition([{ id: 'wipe' }, { id: 'after', needs: ['wipe'] }]);
    const actor = createActor(machine, {
      input: { executionId: 'x2', workflowId: 'wf', definition: def },
    });
    const events: ExecutionEvent[] = [];
    actor.on('*', (e) => events.push(e));
    actor.start();
    const error = { code: 'blocked' as const, message: 'blocked by policy', recoverable: false };
    const findings = [
      { severity: 'critical', rule: 'destructive-rm-root', stepId: 'wipe', message: 'rm -rf /' },
    ];
    actor.send({ type: 'block', error, findings });
    expect(actor.getSnapshot().value).toBe('blocked');
    expect(await toPromise(actor)).toEqual({ executionId: 'x2', status: 'blocked', error });
    expect(stub.calls).toHaveLength(0);
    expect(events.map((e) => ('stepId' in e ? `${e.type} ${e.stepId}` : e.type))).toEqual([
      'execution.blocked',
      'step.skipped wipe',
      'step.skipped after',
    ]);
    expect(events[0]).toMatchObject({ type: 'execution.blocked', error, findings });
    // A blocked run cannot be started afterwards.
    actor.send({ type: 'start' });
    expect(actor.getSnapshot().value).toBe('blocked');
  });
});

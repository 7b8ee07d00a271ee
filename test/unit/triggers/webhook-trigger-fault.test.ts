import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { WireError } from '../../../src/errors.ts';
import type { TriggerEvent } from '../../../src/events.ts';
import { systemClock } from '../../../src/clock.ts';
import { createSimulatedScheduler } from '../../../src/triggers/index.ts';
import { TriggerActor } from '../../../src/triggers/trigger-actor.ts';

const PROBLEM: WireError = {
  code: 'secret_unavailable',
  message: 'secret http.secret: HOOK_KEY is not set',
  details: { secrets: [{ name: 'http.secret', env: 'HOOK_KEY', reason: 'HOOK_KEY is not set' }] },
  recoverable: false,
};

function hookTrigger(paused = false) {
  const events: TriggerEvent[] = [];
  const trigger = new TriggerActor(
    {
      id: 'deploy-http-0',
      workflowId: 'deploy',
      index: 0,
      definition: { kind: 'http', path: 'deploy', secret: '${{ env.HOOK_KEY }}' },
    },
    paused
      ? {
          id: 'deploy-http-0',
          workflowId: 'deploy',
          paused: true,
          lastFireAt: null,
          lastResult: null,
          updatedAt: new Date(0).toISOString(),
        }
      : undefined,
    {
      startRun: async ({ fires }) => fires.map(() => ({ status: 'started', executionId: 'ex_1' })),
      emit: (_, e) => events.push(e),
      persist: async () => undefined,
      scheduler: createSimulatedScheduler(systemClock),
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      newFireId: () => 'fire_1',
    },
  );
  trigger.start();
  return { trigger, events };
}

describe('webhook trigger faults (secret_unavailable)', () => {
  it('moves an active trigger to error with the reason, once, and back when cleared', () => {
    const { trigger, events } = hookTrigger();
    trigger.fault(PROBLEM);
    trigger.fault(PROBLEM);
    expect(trigger.view()).toMatchObject({ state: 'error', lastError: PROBLEM });
    expect(events).toEqual([
      expect.objectContaining({ type: 'trigger.status', status: 'error', error: PROBLEM }),
    ]);
    trigger.fault(null);
    expect(trigger.view()).toMatchObject({ state: 'active', lastError: null });
    expect(events.at(-1)).toMatchObject({ type: 'trigger.status', status: 'active' });
    // A clear with nothing reported changes nothing.
    trigger.fault(null);
    expect(events).toHaveLength(2);
    trigger.stop();
  });

  it('updates the reason of a trigger already in error', () => {
    const { trigger } = hookTrigger();
    trigger.fault(PROBLEM);
    const other = { ...PROBLEM, message: 'secret http.secret: HOOK_KEY is empty' };
    trigger.fault(other);
    expect(trigger.view()).toMatchObject({ state: 'error', lastError: other });
    trigger.stop();
  });

  it('leaves a paused trigger paused; resume then clears the error', async () => {
    const { trigger } = hookTrigger(true);
    trigger.fault(PROBLEM);
    expect(trigger.view().state).toBe('paused');
    await trigger.resume();
    trigger.fault(PROBLEM);
    expect(trigger.view().state).toBe('error');
    await trigger.resume();
    expect(trigger.view()).toMatchObject({ state: 'active', lastError: null });
    trigger.stop();
  });
});

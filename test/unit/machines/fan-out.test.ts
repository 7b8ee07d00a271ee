import { describe, expect, it } from 'vitest';
import { createLedger, type ResumedStep } from '../../../machines/execution-ledger.ts';
import {
  beginFanOut,
  endFanOut,
  fanOutDone,
  fanOutOf,
  fanOutOutputs,
  MAX_FAN_OUT_OUTPUT_BYTES,
  settleInstance,
  takeInstance,
} from '../../../machines/fan-out.ts';
import type { StepOutput } from '../../../machines/step.machine.ts';
import { step } from './execution-harness.ts';

const ledger = () => createLedger([step({ id: 'x', forEach: [] })]);
const out = (n: number, over: Partial<StepOutput> = {}): StepOutput => ({
  stepId: `x[${n}]`,
  status: 'succeeded',
  attempts: 1,
  exitCode: 0,
  error: null,
  lostAttempts: 0,
  ...over,
});

describe('fan-out ledger', () => {
  it('starts instances in order, never more than its concurrency, and lists outputs by index', () => {
    const l = ledger();
    const fan = beginFanOut(l, 0, 'x', ['a', 'b', 'c'], 2);
    expect(fanOutOf(l, 0)).toBe(fan);
    expect([takeInstance(fan), takeInstance(fan), takeInstance(fan)]).toEqual([0, 1, undefined]);
    settleInstance(fan, 1, out(1, { outputs: { v: 1 } }));
    expect(takeInstance(fan)).toBe(2);
    expect(takeInstance(fan)).toBeUndefined();
    settleInstance(fan, 2, out(2));
    expect(fanOutDone(fan)).toBe(false);
    settleInstance(fan, 0, out(0, { outputs: { v: 0 } }));
    expect(fanOutDone(fan)).toBe(true);
    expect(fanOutOutputs(fan)).toEqual([{ v: 0 }, { v: 1 }, {}]);
    endFanOut(l, fan);
    expect(l.fanOuts).toEqual([]);
  });

  it('stops starting instances at the first failure and is done when the live ones end', () => {
    const fan = beginFanOut(ledger(), 0, 'x', [1, 2, 3, 4], 2);
    takeInstance(fan);
    takeInstance(fan);
    settleInstance(fan, 0, out(0, { status: 'timed_out', error: 'timed out after 5 ms' }));
    expect(fan.failure).toEqual({
      status: 'timed_out',
      error: 'instance x[0] timed out: timed out after 5 ms',
      exitCode: 0,
    });
    expect(takeInstance(fan)).toBeUndefined();
    expect(fanOutDone(fan)).toBe(false);
    settleInstance(fan, 1, out(1, { status: 'failed', error: 'exit code 1' }));
    expect(fanOutDone(fan)).toBe(true);
    expect(fan.failure?.error).toBe('instance x[0] timed out: timed out after 5 ms');
  });

  it('never starts an instance a previous process finished; a failed one fails the fan-out', () => {
    const prior: Record<string, ResumedStep> = {
      'x[0]': { status: 'succeeded', attempts: 1, outputs: { v: 0 } },
      'x[2]': { status: 'succeeded', attempts: 2 },
      'x[3]': { status: 'running', attempts: 1, attempt: { state: 'running', elapsedMs: 1 } },
    };
    const fan = beginFanOut(ledger(), 0, 'x', [0, 1, 2, 3], 10, (id) => prior[id]);
    expect([takeInstance(fan), takeInstance(fan), takeInstance(fan)]).toEqual([1, 3, undefined]);
    expect(fan.succeeded).toBe(2);

    const failed = beginFanOut(ledger(), 0, 'x', [0, 1], 10, (id) =>
      id === 'x[1]' ? { status: 'failed', attempts: 1 } : undefined,
    );
    expect(takeInstance(failed)).toBeUndefined();
    expect(fanOutDone(failed)).toBe(true);
    expect(failed.failure?.error).toBe('instance x[1] failed');
  });

  it('fails when the outputs of its instances outgrow the bound of one step', () => {
    const fan = beginFanOut(ledger(), 0, 'x', [0, 1, 2], 3);
    for (let n = 0; n < 3; n++) takeInstance(fan);
    const big = { v: 'é'.repeat(MAX_FAN_OUT_OUTPUT_BYTES / 4) };
    settleInstance(fan, 0, out(0, { outputs: big }));
    expect(fan.failure).toBeNull();
    settleInstance(fan, 1, out(1, { outputs: big }));
    expect(fan.failure?.error).toMatch(/take more than 1048576 bytes/);
    settleInstance(fan, 2, out(2));
    expect(fanOutDone(fan)).toBe(true);
  });

  it('completes an empty list at once', () => {
    const fan = beginFanOut(ledger(), 0, 'x', [], 5);
    expect(takeInstance(fan)).toBeUndefined();
    expect(fanOutDone(fan)).toBe(true);
    expect(fanOutOutputs(fan)).toEqual([]);
  });
});

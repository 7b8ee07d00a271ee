/**
 * The overlap gate on its own: runs are recorded by an `execute` the test controls, and end
 * when the test feeds the run's final event to ActiveRuns (index mode on a memory store).
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ConflictError, UnavailableError } from '../../../src/errors.ts';
import type { StampedEvent } from '../../../src/events.ts';
import { createMemoryStore } from '../../../src/store/index.ts';
import { ActiveRuns } from '../../../src/triggers/active-runs.ts';
import type { FireOutcome, FireRequest } from '../../../src/triggers/types.ts';
import {
  WorkflowGate,
  effectivePolicy,
  type GatePolicy,
  type WaitingFire,
} from '../../../src/triggers/workflow-gate.ts';

const logger = pino({ level: 'silent' });
let n = 0;
const fire = (extra: Partial<FireRequest> = {}): FireRequest => ({
  fireId: `f${++n}`,
  source: 'schedule',
  at: 1000 * n,
  ...extra,
});

function setup(opts: { failExecute?: boolean; cancel?: (id: string) => Promise<unknown> } = {}) {
  const runs = new ActiveRuns({ store: createMemoryStore(), mode: 'index', logger });
  const started: Array<{ executionId: string; input: Record<string, unknown> }> = [];
  const cancelled: string[] = [];
  const dequeued: Array<{ waiting: WaitingFire; outcome: FireOutcome }> = [];
  let nextId = 0;
  const gate = new WorkflowGate('wf', {
    runs,
    clock: new SimulatedClock(),
    logger,
    newExecutionId: () => `ex${++nextId}`,
    execute: async (_wf, input, { executionId }) => {
      if (opts.failExecute) throw new UnavailableError('work queue is full');
      started.push({ executionId, input });
      return { executionId };
    },
    cancel: async (id) => {
      if (opts.cancel) return opts.cancel(id);
      cancelled.push(id);
      end(id);
    },
    onDequeued: (waiting, outcome) => dequeued.push({ waiting, outcome }),
  });
  const end = (executionId: string) =>
    runs.observe({
      type: 'execution.completed',
      executionId,
      workflowId: 'wf',
      status: 'completed',
    } as StampedEvent);
  return { gate, runs, started, cancelled, dequeued, end };
}

const policy = (overlap: GatePolicy['overlap'], maxQueued = 1): GatePolicy => ({
  overlap,
  maxQueued,
});

describe('workflow gate', () => {
  it('decides concurrent fires one at a time: skip starts exactly one', async () => {
    const { gate, started } = setup();
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => gate.start('t', fire(), policy('skip'))),
    );
    expect(outcomes.map((o) => o.status)).toEqual([
      'started',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
    ]);
    expect(outcomes[1]).toMatchObject({
      reason: 'overlap',
      message: expect.stringContaining('ex1'),
    });
    expect(started).toHaveLength(1);
  });

  it('skip starts again once the run ended', async () => {
    const { gate, end } = setup();
    await gate.start('t', fire(), policy('skip'));
    end('ex1');
    expect(await gate.start('t', fire({ input: { a: 1 } }), policy('skip'))).toEqual({
      status: 'started',
      executionId: 'ex2',
    });
  });

  it('queue: reserves ids, refuses past maxQueued, starts waiting fires as runs end', async () => {
    const { gate, end, dequeued, started } = setup();
    await gate.start('t', fire(), policy('queue', 2));
    const q1 = await gate.start('t', fire({ input: { n: 1 } }), policy('queue', 2));
    const q2 = await gate.start('t', fire({ input: { n: 2 } }), policy('queue', 2));
    const full = await gate.start('t', fire(), policy('queue', 2));
    expect([q1, q2]).toEqual([
      { status: 'queued', executionId: 'ex2', position: 1 },
      { status: 'queued', executionId: 'ex3', position: 2 },
    ]);
    expect(full).toMatchObject({ status: 'skipped', reason: 'queue_full' });
    expect(gate.waiting).toBe(2);
    end('ex1');
    await gate.kick();
    expect(dequeued.map((d) => d.outcome)).toEqual([{ status: 'started', executionId: 'ex2' }]);
    expect(started.at(-1)).toEqual({ executionId: 'ex2', input: { n: 1 } });
    // Nothing more starts while ex2 runs.
    await gate.kick();
    expect(dequeued).toHaveLength(1);
    end('ex2');
    await gate.kick();
    expect(dequeued.map((d) => d.waiting.executionId)).toEqual(['ex2', 'ex3']);
  });

  it('queue: a repeated fire for a reserved id answers its place instead of queueing twice', async () => {
    const { gate } = setup();
    await gate.start('t', fire(), policy('queue', 3));
    const first = await gate.start('t', fire({ executionId: 'hook-1' }), policy('queue', 3));
    const again = await gate.start('t', fire({ executionId: 'hook-1' }), policy('queue', 3));
    expect(again).toEqual(first);
    expect(gate.waiting).toBe(1);
  });

  it('allow starts every fire; cancel_previous cancels the unfinished runs first', async () => {
    const { gate, started, cancelled } = setup();
    await gate.start('t', fire(), policy('allow'));
    await gate.start('t', fire(), policy('allow'));
    expect(started).toHaveLength(2);
    const outcome = await gate.start('t', fire(), policy('cancel_previous'));
    expect(cancelled.sort()).toEqual(['ex1', 'ex2']);
    expect(outcome).toEqual({ status: 'started', executionId: 'ex3', cancelled: ['ex1', 'ex2'] });
  });

  it('cancel_previous ignores a run that finished meanwhile, and fails on other errors', async () => {
    const finished = setup({
      cancel: async (id) => {
        throw new ConflictError(`execution '${id}' already completed`);
      },
    });
    await finished.gate.start('t', fire(), policy('allow'));
    expect(await finished.gate.start('t', fire(), policy('cancel_previous'))).toEqual({
      status: 'started',
      executionId: 'ex2',
    });
    const broken = setup({
      cancel: async () => {
        throw new UnavailableError('owner unreachable');
      },
    });
    await broken.gate.start('t', fire(), policy('allow'));
    expect(await broken.gate.start('t', fire(), policy('cancel_previous'))).toMatchObject({
      status: 'failed',
      error: { code: 'unavailable', recoverable: true },
    });
  });

  it('a failing execute is an outcome, never a rejection', async () => {
    const { gate } = setup({ failExecute: true });
    expect(await gate.start('t', fire(), policy('allow'))).toEqual({
      status: 'failed',
      error: { code: 'unavailable', message: 'work queue is full', recoverable: true },
    });
  });

  it('message-driven fires default to allow unless the workflow sets overlap', () => {
    expect(effectivePolicy({}, 'schedule')).toEqual({ overlap: 'skip', maxQueued: 1 });
    expect(effectivePolicy({}, 'manual').overlap).toBe('skip');
    expect(effectivePolicy({}, 'webhook').overlap).toBe('allow');
    expect(effectivePolicy({}, 'nats').overlap).toBe('allow');
    expect(effectivePolicy({ overlap: 'queue', maxQueued: 4 }, 'webhook')).toEqual({
      overlap: 'queue',
      maxQueued: 4,
    });
  });

  it('a run whose end was seen before its queued event is not revived', () => {
    const { runs, end } = setup();
    end('late');
    runs.observe({
      type: 'execution.queued',
      executionId: 'late',
      workflowId: 'wf',
    } as StampedEvent);
    runs.add('wf', 'late');
    return expect(runs.of('wf')).resolves.toEqual([]);
  });
});

describe('workflow gate: bursts and stuck decisions', () => {
  /** A gate whose unfinished-runs question the test answers (or never answers). */
  function stuckSetup() {
    const asked: Array<(ids: string[]) => void> = [];
    const runs = {
      of: () => new Promise<string[]>((resolve) => asked.push(resolve)),
      add: () => undefined,
    } as unknown as ActiveRuns;
    const executed: Array<{ executionId: string; idempotencyKey?: string }> = [];
    const gate = new WorkflowGate('wf', {
      runs,
      clock: new SimulatedClock(),
      logger,
      newExecutionId: () => `ex${executed.length + 1}`,
      execute: async (_wf, _input, opts) => {
        executed.push(opts);
        // A repeated idempotency key answers the run that holds it.
        return { executionId: opts.idempotencyKey === 'seq-1' ? 'ex-first' : opts.executionId };
      },
      cancel: async () => undefined,
      onDequeued: () => undefined,
    });
    return { gate, asked, executed };
  }

  it('allow never waits for the unfinished-runs question nor for another decision', async () => {
    const { gate, asked, executed } = stuckSetup();
    // A skip decision stuck on the question (a store that does not answer)...
    void gate.start('t', fire(), policy('skip'));
    await Promise.resolve();
    expect(asked).toHaveLength(1);
    // ...does not hold message fires under allow, which do not ask at all.
    const outcomes = await Promise.all([
      gate.start('t', fire({ source: 'nats' }), policy('allow')),
      gate.start('t', fire({ source: 'nats' }), policy('allow')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['started', 'started']);
    expect(asked).toHaveLength(1);
    expect(executed).toHaveLength(2);
  });

  it('a decision its trigger gave up on (aborted) passes the lock on', async () => {
    const { gate, asked } = stuckSetup();
    const abort = new AbortController();
    const stuck = gate.start('t', fire(), policy('skip'), abort.signal);
    const next = gate.start('t', fire(), policy('skip'));
    await Promise.resolve();
    expect(asked).toHaveLength(1);
    abort.abort();
    expect(await stuck).toMatchObject({ status: 'failed', error: { code: 'cancelled' } });
    // The next decision gets its turn and asks for itself.
    await waitForAsk(asked, 2);
    asked[1]!([]);
    expect(await next).toMatchObject({ status: 'started' });
  });

  it('passes the idempotency key and answers the id of the run that holds it', async () => {
    const { gate, executed } = stuckSetup();
    const outcome = await gate.start(
      't',
      fire({ source: 'nats', idempotencyKey: 'seq-1' }),
      policy('allow'),
    );
    expect(outcome).toEqual({ status: 'started', executionId: 'ex-first' });
    expect(executed[0]).toMatchObject({ idempotencyKey: 'seq-1' });
  });
});

async function waitForAsk(asked: unknown[], n: number): Promise<void> {
  for (let i = 0; i < 100 && asked.length < n; i++) await Promise.resolve();
  expect(asked).toHaveLength(n);
}

/**
 * Approval steps on the execution and step machines, with the real approval attempt
 * (runtime/approvals) over an in-memory record and a simulated clock: the step waits past any
 * step timeout until decided; an approval hands its decision on as outputs; a rejection fails
 * the step once (no retry) and the run, skipping its dependents (with continueOnError the
 * run goes on);
 * the deadline rejects with `by: timeout`; a second decision is refused; a decision stored
 * before a restart ends a resumed attempt at once, and a resumed wait keeps its deadline.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock, toPromise, type AnyActorRef } from 'xstate';
import {
  stepMachine,
  type AttemptInput,
  type AttemptResult,
} from '../../../machines/step.machine.ts';
import { executionMachine } from '../../../machines/execution.machine.ts';
import type { ResumedStep } from '../../../machines/execution-ledger.ts';
import type { ExecutionEvent } from '../../../src/events.ts';
import type { StepApproval } from '../../../src/store/index.ts';
import { passTurn } from '../../../src/runtime/pass-turn.ts';
import {
  ApprovalGates,
  runApproval,
  takeDecision,
  type ApprovalAttemptDeps,
} from '../../../src/runtime/approvals/index.ts';
import { definition, until, type StepSpec } from './execution-harness.ts';

const started: AnyActorRef[] = [];
afterEach(() => started.splice(0).forEach((a) => a.stop()));

const gate = (over: Partial<StepApproval> & { timeoutMs?: number } = {}): StepSpec =>
  ({
    id: 'gate',
    kind: 'approval',
    approval: { message: 'go?', timeoutMs: over.timeoutMs ?? 60_000 },
  }) as unknown as StepSpec;

/** A run whose approval steps use the real attempt; other steps succeed at once. */
function approvalRun(
  steps: StepSpec[],
  opts: { stored?: Map<string, StepApproval>; resume?: Record<string, ResumedStep> } = {},
) {
  const clock = new SimulatedClock();
  clock.set(Date.parse('2026-01-01T00:00:00Z'));
  const events: ExecutionEvent[] = [];
  const stored = opts.stored ?? new Map<string, StepApproval>();
  const gates = new ApprovalGates(clock);
  const deps: ApprovalAttemptDeps = {
    gates,
    clock,
    emit: (e) => {
      events.push(e);
      // What the recorder does with these events, in memory.
      if (e.type === 'step.awaiting_approval') {
        stored.set(e.stepId, {
          attempt: e.attempt,
          message: e.message,
          since: e.since,
          deadline: e.deadline,
        });
      } else if (e.type === 'step.approved' || e.type === 'step.rejected') {
        const a = stored.get(e.stepId)!;
        a.decision = { approved: e.type === 'step.approved', by: e.by, at: e.at };
        if (e.comment !== undefined) a.decision.comment = e.comment;
      }
    },
    settled: () => Promise.resolve(),
    stored: (_id, stepId) => stored.get(stepId),
  };
  const runAttempt = fromPromise<AttemptResult, AttemptInput>(({ input, signal }) => {
    const s = input.step;
    if (s.kind !== 'approval') return Promise.resolve({ ok: true, exitCode: 0 });
    return runApproval(
      deps,
      {
        executionId: input.executionId,
        workflowId: input.workflowId,
        stepId: s.id,
        attempt: input.attempt,
        message: s.approval.message,
        timeoutMs: s.approval.timeoutMs,
      },
      signal,
    );
  });
  const machine = executionMachine.provide({
    actors: {
      step: stepMachine.provide({ actors: { runAttempt }, actions: { passTurn } }),
    },
  });
  const actor = createActor(machine, {
    input: {
      executionId: 'x1',
      workflowId: 'wf',
      definition: definition(steps, { defaultTimeoutMs: 1000 }),
      ...(opts.resume && { resume: opts.resume }),
    },
    clock,
  });
  actor.on('*', (e) => e.type !== 'execution.progress' && events.push(e));
  started.push(actor);
  actor.start();
  actor.send({ type: 'start' });
  const open = () => until(() => gates.of('x1').length > 0, 'gate open');
  const decide = async (approved: boolean, by: string, comment?: string) => {
    await open();
    return takeDecision(deps, gates.of('x1')[0]!, {
      approved,
      by,
      at: new Date(clock.now()).toISOString(),
      ...(comment !== undefined && { comment }),
    });
  };
  const trace = () => events.map((e) => ('stepId' in e ? `${e.type} ${e.stepId}` : e.type));
  return { actor, clock, events, gates, open, decide, trace, stored, done: () => toPromise(actor) };
}

describe('execution machine: approval steps', () => {
  it('waits past the step timeout until approved, and hands the decision on', async () => {
    const run = approvalRun([gate(), { id: 'next', needs: ['gate'] }]);
    await run.open();
    run.clock.increment(30_000); // far past defaultTimeoutMs (1 s): still waiting
    await new Promise((r) => setImmediate(r));
    expect(run.actor.getSnapshot().status).toBe('active');
    const decision = await run.decide(true, 'alice', 'ok');
    expect(decision).toMatchObject({ approved: true, by: 'alice', comment: 'ok' });
    expect(await run.done()).toMatchObject({ status: 'completed' });
    const completed = run.events.find(
      (e) => e.type === 'step.completed' && e.stepId === 'gate',
    ) as { outputs?: unknown };
    expect(completed.outputs).toMatchObject({ approved: true, by: 'alice', comment: 'ok' });
    // (The attempt asks as it starts: its step.started may come just after.)
    expect(run.trace().slice(3)).toEqual([
      'step.approved gate',
      'step.completed gate',
      'step.started next',
      'step.completed next',
      'execution.completed',
    ]);
    expect(run.gates.size).toBe(0);
  });

  it('a rejection fails the step once (no retry) and the run, skipping its dependents', async () => {
    const run = approvalRun([
      { ...gate(), retry: { attempts: 3, backoffMs: 10, factor: 1, maxMs: 10, jitter: 0 } },
      { id: 'next', needs: ['gate'] },
    ]);
    await run.decide(false, 'bob', 'no');
    const out = await run.done();
    expect(out.status).toBe('failed');
    expect(run.trace()).toContain('step.skipped next');
    const failed = run.events.find((e) => e.type === 'step.failed') as {
      error: string;
      attempt: number;
    };
    expect(failed).toMatchObject({ error: "rejected by 'bob': no", attempt: 1 });
    expect(run.trace().filter((t) => t === 'step.started gate')).toHaveLength(1);
  });

  it('a rejected gate with continueOnError lets the run go on', async () => {
    const run = approvalRun([
      { ...gate(), continueOnError: true },
      { id: 'next', needs: ['gate'] },
      { id: 'alert', needs: ['gate'], when: 'failure' },
    ]);
    await run.decide(false, 'bob');
    expect((await run.done()).status).toBe('completed');
    // Tolerated: its dependents run, the failure branch too.
    expect(run.trace()).toContain('step.completed next');
    expect(run.trace()).toContain('step.completed alert');
  });

  it('the deadline rejects with by: timeout; a later decision is refused', async () => {
    const run = approvalRun([gate({ timeoutMs: 5000 })]);
    await run.open();
    const g = run.gates.of('x1')[0]!;
    run.clock.increment(5000);
    expect((await run.done()).status).toBe('failed');
    expect(run.stored.get('gate')?.decision).toMatchObject({ approved: false, by: 'timeout' });
    await expect(
      takeDecision(
        { emit: () => undefined, settled: async () => undefined, stored: () => undefined },
        g,
        { approved: true, by: 'late', at: new Date().toISOString() },
      ),
    ).rejects.toMatchObject({ code: 'conflict' });
  });

  it('a resumed attempt with a stored decision ends at once, never asking again', async () => {
    const stored = new Map<string, StepApproval>([
      [
        'gate',
        {
          attempt: 1,
          message: 'go?',
          since: '2026-01-01T00:00:00.000Z',
          deadline: '2026-01-01T01:00:00.000Z',
          decision: { approved: true, by: 'carol', at: '2026-01-01T00:00:01.000Z' },
        },
      ],
    ]);
    const run = approvalRun([gate(), { id: 'next', needs: ['gate'] }], {
      stored,
      resume: {
        gate: {
          status: 'running',
          attempts: 1,
          lostAttempts: 0,
          attempt: { state: 'running', elapsedMs: 10 },
        },
      },
    });
    expect((await run.done()).status).toBe('completed');
    expect(run.trace()).not.toContain('step.awaiting_approval gate');
    expect(run.trace()).not.toContain('step.approved gate');
  });

  it('a resumed wait keeps its stored deadline', async () => {
    // Began 59 s before this clock's now: 1 s of its 60 s is left.
    const stored = new Map<string, StepApproval>([
      [
        'gate',
        {
          attempt: 1,
          message: 'go?',
          since: '2025-12-31T23:59:01.000Z',
          deadline: '2026-01-01T00:00:01.000Z',
        },
      ],
    ]);
    const run = approvalRun([gate()], {
      stored,
      resume: {
        gate: {
          status: 'running',
          attempts: 1,
          lostAttempts: 0,
          attempt: { state: 'running', elapsedMs: 59_000 },
        },
      },
    });
    await run.open();
    run.clock.increment(999);
    await new Promise((r) => setImmediate(r));
    expect(run.actor.getSnapshot().status).toBe('active');
    run.clock.increment(1);
    expect((await run.done()).status).toBe('failed');
    expect(run.trace()).toEqual([
      'execution.started',
      'step.started gate',
      'step.rejected gate',
      'step.failed gate',
      'execution.failed',
    ]);
  });
});

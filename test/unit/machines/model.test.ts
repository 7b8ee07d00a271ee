/**
 * Shortest-path model tests: xstate/graph walks the step and engine machines, and every path
 * it finds is replayed on a real actor (with stubbed runAttempt/run and a simulated clock); the
 * real actor must reach the same state value (and context) after every step.
 */
import { describe, expect, it } from 'vitest';
import {
  createActor,
  fromPromise,
  setup,
  SimulatedClock,
  type ActorRefFrom,
  type AnyStateMachine,
  type EventObject,
  type SnapshotFrom,
} from 'xstate';
import { createTestModel, TestModel } from 'xstate/graph';
import {
  stepMachine,
  type AttemptInput,
  type AttemptResult,
  type ConditionInput,
  type StepMachineEvent,
  type StepInput,
} from '../../../machines/step.machine.ts';
import { engineMachine, executionChildId } from '../../../machines/engine.machine.ts';
import type { StepDefinition } from '../../../src/workflow/types.ts';

async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 5000 ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Top-level states that can rest: not those with an unguarded `always` (passed through). */
function stableStates(machine: AnyStateMachine): string[] {
  return Object.entries(machine.root.states)
    .filter(([, node]) => !node.always?.some((t) => !t.guard))
    .map(([key]) => key)
    .sort();
}

/** A short readable name for a path: its events, then the state it ends in. */
function pathName(path: { steps: { event: EventObject }[]; state: { value: unknown } }): string {
  const label = (e: EventObject & { output?: AttemptResult | boolean; executionId?: string }) => {
    if (e.type.startsWith('xstate.done.actor.')) {
      const out = e.output;
      if (typeof out === 'boolean') return `condition(${out})`;
      if (Array.isArray(out)) return `list(${out.length})`;
      if (!out) return `done ${e.type.slice('xstate.done.actor.'.length)}`;
      return `done(${out.ok ? 'ok' : out.lost ? 'lost' : out.nonRetryable ? 'fatal' : 'fail'})`;
    }
    if (e.type.startsWith('xstate.error.actor.')) return 'error';
    if (e.type.startsWith('xstate.after.')) return `after ${e.type.split('.')[2]}`;
    return e.executionId ? `${e.type} ${e.executionId}` : e.type;
  };
  const events = path.steps.filter((s) => s.event.type !== 'xstate.init');
  return `${events.map((s) => label(s.event)).join(' → ') || '(initial)'} ⇒ ${String(path.state.value)}`;
}

// ---------------------------------------------------------------------------------------------
// step

const STEP_DONE = 'xstate.done.actor.0.step.running';
const STEP_ERROR = 'xstate.error.actor.0.step.running';
const STEP_TIMEOUT = 'xstate.after.stepTimeout.step.running';
const RETRY_DELAY = 'xstate.after.retryDelay.step.retrying';
const BACKOFF_DELAY = 'xstate.after.retryDelay.step.backingOff';
const CONDITION_DONE = 'xstate.done.actor.0.step.checking';
const CONDITION_ERROR = 'xstate.error.actor.0.step.checking';
const EXPAND_DONE = 'xstate.done.actor.0.step.expanding';
const EXPAND_ERROR = 'xstate.error.actor.0.step.expanding';

/**
 * A step that has used `attemptsUsed` of its 2 attempts, the last lost with its process when
 * `interrupted` (`lostAttempts` of them lost so far), or `resumed` mid-attempt or mid-backoff.
 */
type StepCase = { kind: 'exec' | 'noop' | 'approval'; if?: string; forEach?: string } & Pick<
  StepInput,
  'attemptsUsed' | 'interrupted' | 'lostAttempts' | 'resumed'
>;

function stepInput({ kind, if: condition, forEach, ...resumed }: StepCase): StepInput {
  const step = {
    id: 'build',
    kind,
    ...(condition !== undefined && { if: condition }),
    ...(forEach !== undefined && { forEach, concurrency: 4 }),
    ...(kind === 'exec' && { exec: ['make'] }),
    ...(kind === 'approval' && { approval: { message: 'go?', timeoutMs: 60_000 } }),
    needs: [],
    env: {},
    continueOnError: false,
    timeoutMs: 1_000,
    retry: { attempts: 2, backoffMs: 100, factor: 2, maxMs: 10_000, jitter: 0 },
  } as StepDefinition;
  return { executionId: 'x1', workflowId: 'wf', step, ...resumed };
}

const stepEvents = [
  { type: 'start' },
  { type: 'skip', reason: 'condition false' },
  { type: 'cancel' },
  { type: STEP_DONE, output: { ok: true, exitCode: 0 } },
  { type: STEP_DONE, output: { ok: false, exitCode: 1 } },
  { type: STEP_DONE, output: { ok: false, exitCode: 127, error: 'ENOENT', nonRetryable: true } },
  { type: STEP_DONE, output: { ok: false, exitCode: null, lost: true } },
  { type: STEP_ERROR, error: new Error('spawn failed') },
  { type: STEP_TIMEOUT },
  { type: RETRY_DELAY },
  { type: BACKOFF_DELAY },
  { type: 'turn.passed' },
  { type: CONDITION_DONE, output: true },
  { type: CONDITION_DONE, output: false },
  { type: CONDITION_ERROR, error: new Error('no such key') },
  { type: EXPAND_DONE, output: ['a', 'b'] },
  { type: EXPAND_ERROR, error: new Error('forEach: yielded number, not a list') },
] as unknown as StepMachineEvent[];

type StepSnapshot = SnapshotFrom<typeof stepMachine>;
type ModelEvent = EventObject & { output?: AttemptResult & boolean; error?: Error };

/** A real step under a tiny parent, with a stub runAttempt and a simulated clock. */
function realTask(input: StepInput) {
  const pending: { resolve(r: AttemptResult): void; reject(e: unknown): void }[] = [];
  const runAttempt = fromPromise<AttemptResult, AttemptInput>(
    () => new Promise((resolve, reject) => pending.push({ resolve, reject })),
  );
  const conditions: { resolve(held: boolean): void; reject(e: unknown): void }[] = [];
  const checkCondition = fromPromise<boolean, ConditionInput>(
    () => new Promise((resolve, reject) => conditions.push({ resolve, reject })),
  );
  const leaveChecking = (what: string) =>
    until(() => step.getSnapshot().value !== 'checking', what);
  const lists: { resolve(items: unknown[]): void; reject(e: unknown): void }[] = [];
  const expandItems = fromPromise<unknown[], ConditionInput>(
    () => new Promise((resolve, reject) => lists.push({ resolve, reject })),
  );
  const leaveExpanding = (what: string) =>
    until(() => step.getSnapshot().value !== 'expanding', what);
  // The runtime's passTurn sends `turn.passed` on a later turn; here the path sends it.
  const parent = setup({
    actors: {
      step: stepMachine.provide({
        actors: { runAttempt, checkCondition, expandItems },
        actions: { passTurn: () => {} },
      }),
    },
  }).createMachine({ invoke: { id: 'step', src: 'step', input } });
  const clock = new SimulatedClock();
  const actor = createActor(parent, { clock }).start();
  const step = actor.getSnapshot().children.step as ActorRefFrom<typeof stepMachine>;
  // Handled once the step left `running`, or (a lost attempt) began its next attempt there.
  const leaveRunning = (what: string) => {
    const attempts = pending.length;
    const waits = () => ['running', 'awaitingApproval'].includes(step.getSnapshot().value);
    return until(() => !waits() || pending.length > attempts, what);
  };
  const send = (path: { event: EventObject }) => step.send(path.event as StepMachineEvent);
  return {
    step,
    stop: () => actor.stop(),
    events: {
      start: send,
      skip: send,
      cancel: send,
      'turn.passed': send,
      [STEP_DONE]: async ({ event }: { event: ModelEvent }) => {
        pending.at(-1)!.resolve(event.output!);
        await leaveRunning('runAttempt result handled');
      },
      [STEP_ERROR]: async ({ event }: { event: ModelEvent }) => {
        pending.at(-1)!.reject(event.error);
        await leaveRunning('runAttempt rejection handled');
      },
      // What is left of the timeout: a resumed attempt has used part of it.
      [STEP_TIMEOUT]: () =>
        clock.increment(input.step.timeoutMs! - step.getSnapshot().context.elapsedMs),
      [RETRY_DELAY]: () => clock.increment(step.getSnapshot().context.retryDelayMs),
      [BACKOFF_DELAY]: () => clock.increment(step.getSnapshot().context.retryDelayMs),
      [CONDITION_DONE]: async ({ event }: { event: ModelEvent }) => {
        conditions.at(-1)!.resolve(event.output as unknown as boolean);
        await leaveChecking('condition handled');
      },
      [CONDITION_ERROR]: async ({ event }: { event: ModelEvent }) => {
        conditions.at(-1)!.reject(event.error);
        await leaveChecking('condition error handled');
      },
      [EXPAND_DONE]: async ({ event }: { event: ModelEvent }) => {
        lists.at(-1)!.resolve(event.output as unknown as unknown[]);
        await leaveExpanding('list handled');
      },
      [EXPAND_ERROR]: async ({ event }: { event: ModelEvent }) => {
        lists.at(-1)!.reject(event.error);
        await leaveExpanding('list error handled');
      },
    },
  };
}

function stepPaths(c: StepCase) {
  const input = stepInput(c);
  // createTestModel refuses machines with `invoke` or `after` (both are the step's point), so
  // the model is built directly; the replay below drives them with a stub and a clock. The
  // traversal has no parent to report to, so the model's reports are no-ops (the replay runs
  // the real ones, under a parent).
  const modelMachine = stepMachine.provide({
    actions: {
      reportStarted: () => {},
      reportRetrying: () => {},
      reportLost: () => {},
      passTurn: () => {},
    },
  });
  const model = new TestModel(modelMachine, {
    input,
    events: stepEvents,
    serializeState: (s) => JSON.stringify([s.value, s.context]),
  });
  return { input, paths: model.getShortestPaths() };
}

describe('step model', () => {
  const cases: Array<[string, StepCase]> = [
    ['exec', { kind: 'exec' }],
    ['noop', { kind: 'noop' }],
    // An approval step waits for a decision (no step timeout, no retry), after its condition,
    // and again when resumed after a restart.
    ['approval', { kind: 'approval' }],
    ['conditional approval', { kind: 'approval', if: 'inputs.go' }],
    ['resumed approval', { kind: 'approval', resumed: { state: 'running', elapsedMs: 400 } }],
    // A step with an `if`: the condition is evaluated first (true, false or an error).
    ['conditional exec', { kind: 'exec', if: 'inputs.go' }],
    ['conditional noop', { kind: 'noop', if: 'inputs.go' }],
    // A forEach step makes its list (the execution runs the instances), after its condition,
    // and again when resumed after a restart.
    ['forEach', { kind: 'exec', forEach: 'inputs.xs' }],
    ['conditional forEach', { kind: 'exec', forEach: 'inputs.xs', if: 'inputs.go' }],
    [
      'resumed forEach',
      { kind: 'exec', forEach: 'inputs.xs', resumed: { state: 'running', elapsedMs: 400 } },
    ],
    // Resumed after the process running attempt 1 (of 2) was lost; and after attempt 2 was.
    ['interrupted exec', { kind: 'exec', attemptsUsed: 1, interrupted: true, lostAttempts: 1 }],
    ['interrupted noop', { kind: 'noop', attemptsUsed: 1, interrupted: true, lostAttempts: 1 }],
    [
      'interrupted last attempt',
      { kind: 'exec', attemptsUsed: 2, interrupted: true, lostAttempts: 1 },
    ],
    // Resumed after more lost attempts than MAX_LOST_ATTEMPTS: it stays interrupted.
    [
      'interrupted too often',
      { kind: 'exec', attemptsUsed: 4, interrupted: true, lostAttempts: 4 },
    ],
    // Resumed by a new server with attempt 1 running for 400 ms, or 30 ms before attempt 2.
    ['resumed running', { kind: 'exec', resumed: { state: 'running', elapsedMs: 400 } }],
    [
      'resumed backoff',
      { kind: 'exec', attemptsUsed: 1, resumed: { state: 'retrying', remainingMs: 30 } },
    ],
  ];
  const walks = cases.map(([name, c]) => ({ name, c, paths: stepPaths(c).paths }));
  const all = walks.flatMap((w) => w.paths);

  it('reaches every state that can rest', () => {
    const seen = new Set<string>();
    for (const p of all) {
      for (const s of p.steps) seen.add(s.state.value as string);
      seen.add(p.state.value as string);
    }
    expect([...seen].sort()).toEqual(stableStates(stepMachine));
    expect(stableStates(stepMachine)).toEqual([
      'awaitingApproval',
      'backingOff',
      'cancelled',
      'checking',
      'expanded',
      'expanding',
      'failed',
      'interrupted',
      'passing',
      'retrying',
      'running',
      'skipped',
      'stayedInterrupted',
      'succeeded',
      'timed_out',
      'waiting',
    ]);
  });

  /** The events of a path's steps, typed as the model's. */
  const eventsOf = (p: (typeof all)[number]) => p.steps.map((s) => s.event as ModelEvent);
  const isLost = (e: ModelEvent) => e.type === STEP_DONE && e.output?.lost === true;

  it('walks through lost attempts: rerun as the next attempt, or stayedInterrupted', () => {
    const afterLost = new Set<string>();
    for (const p of all) {
      eventsOf(p).forEach((e, i) => isLost(e) && afterLost.add(p.steps[i]!.state.value as string));
    }
    // attemptLost is passed through (its `always` leads on at once): these are its targets.
    expect([...afterLost].sort()).toEqual(['running', 'stayedInterrupted']);
    const exec = walks.find((w) => w.name === 'exec')!.paths;
    const lostTooOften = exec.find((p) => eventsOf(p).filter(isLost).length === 4);
    expect(lostTooOften?.state.value).toBe('stayedInterrupted');
    expect(lostTooOften?.state.context).toMatchObject({ lostAttempts: 4, status: 'interrupted' });
  });

  it('walks a resumed backoff to its next attempt', () => {
    const backoff = walks.find((w) => w.name === 'resumed backoff')!.paths;
    const path = backoff.find((p) => eventsOf(p).some((e) => e.type === BACKOFF_DELAY));
    const i = eventsOf(path!).findIndex((e) => e.type === BACKOFF_DELAY);
    expect(path!.steps[i]!.state.value).toBe('running');
    expect(path!.steps[i]!.state.context).toMatchObject({ attempt: 2, resuming: false });
  });

  for (const { name, c, paths } of walks) {
    for (const path of paths) {
      it(`${name}: ${pathName(path)}`, async () => {
        const real = realTask(stepInput(c));
        try {
          await path.test({
            events: real.events,
            states: {
              '*': (expected: StepSnapshot) => {
                const actual = real.step.getSnapshot();
                expect(actual.value).toEqual(expected.value);
                expect(actual.context).toEqual(expected.context);
              },
            },
          });
        } finally {
          real.stop();
        }
      });
    }
  }
});

// ---------------------------------------------------------------------------------------------
// engine

const IDS = ['x1', 'x2'];
type EngineSnapshot = SnapshotFrom<typeof engineMachine>;

/** Events offered in a state: commands, execute for ids not in a slot, and run endings. */
/** The child id of the run actor that holds `id`. */
function executionChildOf(state: EngineSnapshot, id: string): string {
  return executionChildId(state.context.held.indexOf(id));
}

function engineEvents(state: EngineSnapshot) {
  const busy = state.context.busy;
  return [
    ...IDS.filter((id) => !busy.includes(id)).map((id) => ({
      type: 'execute' as const,
      executionId: id,
    })),
    { type: 'pause' as const },
    { type: 'resume' as const },
    { type: 'drain' as const },
    { type: 'stop' as const },
    { type: 'health.check' as const },
    ...busy.map((id) => ({ type: `xstate.done.actor.${executionChildOf(state, id)}` as const })),
    ...busy.map((id) => ({
      type: `xstate.error.actor.${executionChildOf(state, id)}` as const,
      error: 'crashed',
    })),
  ];
}

function realEngine() {
  const runs = new Map<string, { resolve(v: unknown): void; reject(e: unknown): void }>();
  const run = fromPromise<unknown, { executionId: string; engineId: string }>(
    ({ input }) =>
      new Promise((resolve, reject) => runs.set(input.executionId, { resolve, reject })),
  );
  const actor = createActor(engineMachine.provide({ actors: { execution: run } }), {
    input: { engineId: 'e1', slots: 2 },
  }).start();
  const send = ({ event }: { event: EventObject }) => actor.send(event as never);
  const events: Record<string, (step: { event: EventObject }) => void | Promise<void>> = {
    execute: send,
    pause: send,
    resume: send,
    drain: send,
    stop: send,
    'health.check': send,
  };
  // Run actors are named by slot; the slot a run lands in is the same in model and engine.
  for (const slot of [0, 1]) {
    const settled = async (
      how: (run: { resolve(v: unknown): void; reject(e: unknown): void }) => void,
    ) => {
      const id = actor.getSnapshot().context.held[slot]!;
      how(runs.get(id)!);
      await until(() => !actor.getSnapshot().context.busy.includes(id), `slot of ${id} freed`);
    };
    events[`xstate.done.actor.${executionChildId(slot)}`] = () => settled((run) => run.resolve({}));
    events[`xstate.error.actor.${executionChildId(slot)}`] = () =>
      settled((run) => run.reject(new Error('crashed')));
  }
  return { actor, events };
}

describe('engine model', () => {
  const model = createTestModel(engineMachine, {
    input: { engineId: 'e1', slots: 2 },
    // `completed` only grows: keep just whether a run has ended, so the state space stays
    // finite and paths through run endings (done/error) are distinct targets.
    serializeState: (s) =>
      JSON.stringify([s.value, s.context.busy, s.context.held, Math.min(1, s.context.completed)]),
  });
  // Passed here (not to createTestModel) so wildcard `xstate.done.actor.*` handlers get
  // concrete per-child events instead of the literal wildcard.
  const paths = model.getShortestPaths({ events: engineEvents });

  it('reaches every engine state', () => {
    const seen = new Set<string>();
    for (const p of paths) for (const s of p.steps) seen.add(s.state.value as string);
    expect([...seen].sort()).toEqual(stableStates(engineMachine));
    expect(stableStates(engineMachine)).toEqual([
      'draining',
      'idle',
      'paused',
      'running',
      'stopped',
    ]);
  });

  it('walks through run endings', () => {
    const types = paths.flatMap((p) => p.steps.map((s) => s.event.type));
    expect(types).toContain(`xstate.done.actor.${executionChildId(0)}`);
  });

  it('never holds more runs than slots on any path', () => {
    for (const p of paths) {
      for (const s of p.steps) expect(s.state.context.busy.length).toBeLessThanOrEqual(2);
    }
  });

  for (const path of paths) {
    it(pathName(path), async () => {
      const real = realEngine();
      try {
        await path.test({
          events: real.events,
          states: {
            '*': (expected: EngineSnapshot) => {
              const actual = real.actor.getSnapshot();
              expect(actual.value).toEqual(expected.value);
              expect(actual.context.busy).toEqual(expected.context.busy);
            },
          },
        });
      } finally {
        real.actor.stop();
      }
    });
  }
});

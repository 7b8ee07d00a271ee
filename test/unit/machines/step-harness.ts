/**
 * A step actor under a tiny parent (the step reports with sendParent), on a simulated clock,
 * with a stub runAttempt whose attempts the test settles. Shared by the step machine tests.
 * @module
 */
import {
  createActor,
  fromPromise,
  setup,
  SimulatedClock,
  waitFor,
  type AnyActorRef,
  type ActorRefFrom,
  type AnyEventObject,
  type InspectionEvent,
} from 'xstate';
import {
  stepMachine,
  type AttemptInput,
  type AttemptResult,
  type StepInput,
  type StepOutput,
} from '../../../machines/step.machine.ts';
import type { ExecStep, RetryPolicy, StepDefinition } from '../../../src/workflow/types.ts';

/** One call of the stub runAttempt, settled by the test. */
export interface Call {
  input: AttemptInput;
  signal: AbortSignal;
  resolve(result: AttemptResult): void;
  reject(err: unknown): void;
}

/** A runAttempt stub that records each attempt and leaves it to the test to settle. */
export function stubRunStep() {
  const calls: Call[] = [];
  const logic = fromPromise<AttemptResult, AttemptInput>(
    ({ input, signal }) =>
      new Promise((resolve, reject) => calls.push({ input, signal, resolve, reject })),
  );
  return { logic, calls };
}

/** An exec step `build` (`make`), one attempt unless `retry` says otherwise. */
export function execStep(
  over: Partial<Omit<ExecStep, 'retry'>> & { retry?: Partial<RetryPolicy> } = {},
) {
  const { retry, ...rest } = over;
  return {
    id: 'build',
    kind: 'exec',
    exec: ['make'],
    needs: [],
    env: {},
    continueOnError: false,
    ...rest,
    retry: { attempts: 1, backoffMs: 100, factor: 2, maxMs: 60_000, jitter: 0, ...retry },
  } as StepDefinition;
}

/** A step actor. */
export type StepRef = ActorRefFrom<typeof stepMachine>;

const started: AnyActorRef[] = [];

/** Stops every harness started so far (call it from `afterEach`). */
export function stopHarnesses(): void {
  for (const a of started.splice(0)) a.stop();
}

/**
 * Runs the step as the child of a tiny parent (the step reports with sendParent), on a
 * simulated clock, recording inspection events.
 */
export function harness(input: Partial<StepInput> & { step: StepDefinition }) {
  const { logic, calls } = stubRunStep();
  let turnsAsked = 0;
  const parentMachine = setup({
    actors: {
      step: stepMachine.provide({
        actors: { runAttempt: logic },
        // The runtime sends `turn.passed` on a later turn; the tests send it themselves.
        actions: { passTurn: () => void turnsAsked++ },
      }),
    },
  }).createMachine({
    invoke: {
      id: 'step',
      src: 'step',
      input: { executionId: 'x1', workflowId: 'wf', ...input },
    },
  });
  const clock = new SimulatedClock();
  const inspected: InspectionEvent[] = [];
  const parent = createActor(parentMachine, { clock, inspect: (e) => inspected.push(e) });
  parent.start();
  const step = parent.getSnapshot().children.step as StepRef;
  started.push(parent);
  return {
    parent,
    step,
    clock,
    calls,
    /** How many times the step asked for a turn to pass (noop steps). */
    turnsAsked: () => turnsAsked,
    /** Events the step sent its parent, in order. */
    reports: () =>
      inspected
        .filter(
          (e): e is Extract<InspectionEvent, { type: '@xstate.event' }> =>
            e.type === '@xstate.event' && e.actorRef === parent && e.sourceRef === step,
        )
        .map((e) => e.event as AnyEventObject)
        .filter((e) => e.type.startsWith('attempt.')),
    /** Distinct state values the step went through. */
    states: () =>
      inspected
        .filter((e) => e.type === '@xstate.snapshot' && e.actorRef === step)
        .map((e) => (e as unknown as { snapshot: { value: string } }).snapshot.value)
        .filter((v, i, all) => i === 0 || all[i - 1] !== v),
    output: () => step.getSnapshot().output as StepOutput | undefined,
  };
}

/** Waits until the step is in `value`. */
export const inState = (step: StepRef, value: string) =>
  waitFor(step, (s) => s.value === value, { timeout: 5_000 });

/** Lets promise callbacks run; used only before asserting that nothing happened. */
export const turn = () => new Promise((resolve) => setImmediate(resolve));

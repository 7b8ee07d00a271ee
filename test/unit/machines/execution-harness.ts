/**
 * A workflow run on the execution machine with a stub runAttempt whose attempts the test
 * settles, on a simulated clock, recording the events it emits. Shared by the execution
 * machine tests.
 * @module
 */
import {
  createActor,
  fromPromise,
  SimulatedClock,
  toPromise,
  type Actor,
  type AnyActorLogic,
} from 'xstate';
import {
  stepMachine,
  type AttemptInput,
  type AttemptResult,
} from '../../../machines/step.machine.ts';
import { executionMachine, type ExecutionInput } from '../../../machines/execution.machine.ts';
import type { ResumedStep } from '../../../machines/execution-ledger.ts';
import type { ExecutionEvent } from '../../../src/events.ts';
import type { StepDefinition, WorkflowDefinition } from '../../../src/workflow/types.ts';
import { passTurn } from '../../../src/runtime/pass-turn.ts';
import { createConditionActor } from '../../../src/runtime/condition-actor.ts';
import { createForEachActor } from '../../../src/runtime/for-each-actor.ts';

/** One call of the stub runAttempt. */
export interface Call {
  input: AttemptInput;
  signal: AbortSignal;
  resolve(result: AttemptResult): void;
}

/** A runAttempt stub whose attempts the test settles; counts attempts running at once. */
export function stubRunStep() {
  const calls: Call[] = [];
  const stats = { running: 0, maxRunning: 0 };
  const logic = fromPromise<AttemptResult, AttemptInput>(({ input, signal }) => {
    stats.running++;
    stats.maxRunning = Math.max(stats.maxRunning, stats.running);
    let done = false;
    const finish = () => {
      if (!done) stats.running--;
      done = true;
    };
    signal.addEventListener('abort', finish);
    return new Promise((resolve) =>
      calls.push({
        input,
        signal,
        resolve: (r) => {
          finish();
          resolve(r);
        },
      }),
    );
  });
  const call = (stepId: string, attempt = 1): Call => {
    const c = calls.find((x) => x.input.step.id === stepId && x.input.attempt === attempt);
    if (!c) throw new Error(`no call for ${stepId}#${attempt}`);
    return c;
  };
  return { logic, calls, stats, call };
}

/** A step definition by its id and what differs from an exec step of `true`. */
export type StepSpec = Partial<StepDefinition> & { id: string };

/** An exec step of `true` with one attempt, changed by `spec`. */
export function step(spec: StepSpec): StepDefinition {
  return {
    kind: 'exec',
    exec: ['true'],
    needs: [],
    env: {},
    continueOnError: false,
    retry: { attempts: 1, backoffMs: 100, factor: 2, maxMs: 60_000, jitter: 0 },
    ...spec,
  } as StepDefinition;
}

/** A workflow of `steps` (concurrency 16). */
export function definition(
  steps: StepSpec[],
  over: Partial<WorkflowDefinition> = {},
): WorkflowDefinition {
  return { id: 'wf', env: {}, concurrency: 16, steps: steps.map(step), ...over };
}

const running: Actor<AnyActorLogic>[] = [];

/** The real `checkCondition` actor over a run of `def` with `inputs` (no env). */
function conditions(inputs: Record<string, unknown>) {
  return createConditionActor({
    executions: () => ({ definition: { id: 'wf', env: {}, concurrency: 16, steps: [] }, inputs }),
  });
}

/** The real `expandItems` actor over a run with `inputs` (no env). */
function forEach(inputs: Record<string, unknown>) {
  return createForEachActor({
    executions: () => ({ definition: { id: 'wf', env: {}, concurrency: 16, steps: [] }, inputs }),
  });
}

/** Stops every run started so far (call it from `afterEach`). */
export function stopRuns(): void {
  for (const a of running.splice(0)) a.stop();
}

/** Starts a run with the stub runAttempt; records emitted events and children-map sizes. */
export function startRun(
  def: WorkflowDefinition,
  opts: {
    resume?: Record<string, ResumedStep>;
    elapsedMs?: number;
    /** What `if` conditions see as `inputs`. */
    inputs?: Record<string, unknown>;
    /** The run was paused under a previous process. */
    paused?: ExecutionInput['paused'];
    /** The run was rolling back under a previous process. */
    rollingBack?: ExecutionInput['rollingBack'];
  } = {},
) {
  const stub = stubRunStep();
  const clock = new SimulatedClock();
  const machine = executionMachine.provide({
    actors: {
      step: stepMachine.provide({
        actors: {
          runAttempt: stub.logic,
          checkCondition: conditions(opts.inputs ?? {}),
          expandItems: forEach(opts.inputs ?? {}),
        },
        actions: { passTurn },
      }),
    },
  });
  const input: ExecutionInput = {
    executionId: 'x1',
    workflowId: 'wf',
    definition: def,
    ...(opts.resume && { resume: opts.resume }),
    ...(opts.elapsedMs !== undefined && { elapsedMs: opts.elapsedMs }),
    ...(opts.paused && { paused: opts.paused }),
    ...(opts.rollingBack && { rollingBack: opts.rollingBack }),
  };
  const actor = createActor(machine, { input, clock });
  const events: ExecutionEvent[] = [];
  // `execution.progress` apart, so traces and event lists read as the run's story.
  const progress: ExecutionEvent[] = [];
  actor.on('*', (e) => (e.type === 'execution.progress' ? progress : events).push(e));
  let maxChildren = 0;
  actor.subscribe((s) => {
    maxChildren = Math.max(maxChildren, Object.keys(s.children).length);
  });
  actor.start();
  running.push(actor as unknown as Actor<AnyActorLogic>);
  actor.send({ type: 'start' });
  return {
    actor,
    clock,
    events,
    progress,
    ...stub,
    maxChildren: () => maxChildren,
    /** `type stepId` of every emitted event (but progress), for ordering assertions. */
    trace: () => events.map((e) => ('stepId' in e ? `${e.type} ${e.stepId}` : e.type)),
    done: () => toPromise(actor),
    until,
  };
}

/** Yields to the event loop until `pred` holds (promise callbacks settle in between). */
export async function until(pred: () => boolean, what = 'condition'): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within 5000 ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Waits until the stub has seen `n` attempts. */
export function attempts(run: ReturnType<typeof startRun>, n: number): Promise<void> {
  return until(() => run.calls.length >= n, `${n} attempts`);
}

/** A successful attempt. */
export const ok: AttemptResult = { ok: true, exitCode: 0 };

import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createMemoryStore, pendingStep, type ExecutionRecord } from '../../../src/store/index.ts';
import { stepProcessKey } from '../../../src/runtime/attempt-actor.ts';
import {
  attemptIsOver,
  parseStepProcessKey,
  sweepHeldSteps,
} from '../../../src/runtime/held-steps.ts';
import { systemClock } from '../../../src/clock.ts';
import { waitFor } from '../../helpers/poll.ts';
import { hostFixture, type HostFixture } from '../host/host-fixture.ts';

const logger = pino({ level: 'silent' });

function record(id: string, status: ExecutionRecord['status'], step = pendingStep('s')) {
  return {
    id,
    workflowId: 'wf',
    status,
    input: {},
    createdAt: new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
    error: null,
    engineId: null,
    node: null,
    definition: {
      id: 'wf',
      version: 1,
      concurrency: 1,
      steps: [{ id: 's', kind: 'exec', exec: ['true'], needs: [], retry: { attempts: 1 } }],
    },
    steps: [step],
  } as unknown as ExecutionRecord;
}

describe('step process keys', () => {
  it('round-trips through stepProcessKey and refuses other keys', () => {
    expect(parseStepProcessKey(stepProcessKey('ex_1', 'build-2', 3))).toEqual({
      executionId: 'ex_1',
      stepId: 'build-2',
      attempt: 3,
    });
    for (const bad of ['session:x:1', 'step:ex:s', 'step:ex:s:0', 'step:ex:s:x', 'step:a:b:c:1']) {
      expect(parseStepProcessKey(bad), bad).toBeUndefined();
    }
  });

  it('calls an attempt over when its run is final, its step settled or moved on', () => {
    const key = { executionId: 'ex', stepId: 's', attempt: 1 };
    expect(attemptIsOver(undefined, key)).toBe(true);
    expect(attemptIsOver(record('ex', 'cancelled'), key)).toBe(true);
    const running = { ...pendingStep('s'), status: 'running' as const, attempts: 1 };
    expect(attemptIsOver(record('ex', 'running', running), key)).toBe(false);
    expect(attemptIsOver(record('ex', 'running', { ...running, attempts: 2 }), key)).toBe(true);
    const done = { ...running, status: 'succeeded' as const };
    expect(attemptIsOver(record('ex', 'running', done), key)).toBe(true);
  });

  it('keeps a forEach instance spawned before its first record was stored, as a pending step', () => {
    // The host had the process of x[3] before the instance's step.started reached the store.
    const key = { executionId: 'ex', stepId: 'x[3]', attempt: 1 };
    const fanning = { ...pendingStep('x'), status: 'running' as const, attempts: 1, items: 5 };
    expect(attemptIsOver(record('ex', 'running', fanning), key)).toBe(false);
    // Not yet recorded running either: x's list is made again on resume.
    expect(attemptIsOver(record('ex', 'running', pendingStep('x')), key)).toBe(false);
    // Once x is settled (or the run is final), nobody re-attaches to it.
    for (const status of ['succeeded', 'failed', 'cancelled', 'skipped'] as const) {
      expect(attemptIsOver(record('ex', 'running', { ...fanning, status }), key)).toBe(true);
    }
    expect(attemptIsOver(record('ex', 'failed', fanning), key)).toBe(true);
    // An id that is no instance of a recorded step is over, as before.
    expect(attemptIsOver(record('ex', 'running', fanning), { ...key, stepId: 'y[3]' })).toBe(true);
    expect(attemptIsOver(record('ex', 'running', fanning), { ...key, stepId: 'x' })).toBe(false);
  });
});

describe('sweepHeldSteps', () => {
  let fx: HostFixture;
  afterEach(async () => fx.cleanup());

  it('cancels a process whose run ended while no server was up, releases ended ones, keeps due ones', async () => {
    fx = hostFixture();
    const host = await fx.connect();
    const store = createMemoryStore();
    const running = { ...pendingStep('s'), status: 'running' as const, attempts: 1 };
    await store.createExecution(record('ex_cancelled', 'cancelled', running));
    await store.createExecution(record('ex_done', 'completed', running));
    await store.createExecution(record('ex_due', 'running', running));
    const spawn = (executionId: string, argv: string[]) =>
      host.spawn({
        key: stepProcessKey(executionId, 's', 1),
        argv,
        cwd: process.cwd(),
        env: { PATH: process.env.PATH ?? '' },
        stdin: 'ignore',
        killGraceMs: 200,
        maxLineLength: 8192,
        spoolBytes: 65536,
        exitDrainMs: 50,
      });
    const orphan = await spawn('ex_cancelled', ['sleep', '30']);
    await spawn('ex_done', ['true']);
    const due = await spawn('ex_due', ['sleep', '30']);
    await waitFor(async () =>
      (await host.list()).some((p) => p.key.includes('ex_done') && p.state === 'exited'),
    );

    const swept = await sweepHeldSteps({
      host,
      store,
      logger,
      clock: systemClock,
      killGraceMs: 200,
    });
    expect(swept).toEqual({ released: 1, cancelled: 1 });

    const alive = (pid: number | null) => {
      try {
        process.kill(pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor(() => !alive(orphan.process.pid));
    expect(alive(due.process.pid)).toBe(true);
    const keys = (await host.list()).map((p) => p.key);
    expect(keys).toContain(stepProcessKey('ex_due', 's', 1));
    expect(keys).not.toContain(stepProcessKey('ex_done', 's', 1));
  });

  it('leaves held forEach instances alone while their step fans out, even with no record yet', async () => {
    // A kill -9 between the host's spawn of x[n] and the store's write of its step.started: the
    // run resumes x and starts x[n] at attempt 1 under the same key. Released (or cancelled)
    // here, that spawn would start a second copy of an instance that had already run.
    fx = hostFixture();
    const host = await fx.connect();
    const store = createMemoryStore();
    const fanning = { ...pendingStep('x'), status: 'running' as const, attempts: 1, items: 3 };
    await store.createExecution(record('ex_fan', 'running', fanning));
    await store.createExecution(
      record('ex_fanned', 'running', { ...fanning, status: 'succeeded' as const }),
    );
    const spawn = (executionId: string, stepId: string, argv: string[]) =>
      host.spawn({
        key: stepProcessKey(executionId, stepId, 1),
        argv,
        cwd: process.cwd(),
        env: { PATH: process.env.PATH ?? '' },
        stdin: 'ignore',
        killGraceMs: 200,
        maxLineLength: 8192,
        spoolBytes: 65536,
        exitDrainMs: 50,
      });
    await spawn('ex_fan', 'x[0]', ['true']);
    const live = await spawn('ex_fan', 'x[1]', ['sleep', '30']);
    await spawn('ex_fanned', 'x[2]', ['true']);
    await waitFor(async () => {
      const held = await host.list();
      return ['x[0]', 'x[2]'].every((id) =>
        held.some((p) => p.key.endsWith(`:${id}:1`) && p.state === 'exited'),
      );
    });

    const swept = await sweepHeldSteps({
      host,
      store,
      logger,
      clock: systemClock,
      killGraceMs: 200,
    });
    // Only the instance of the settled fan-out goes; the others keep their process and exit.
    expect(swept).toEqual({ released: 1, cancelled: 0 });
    const keys = (await host.list()).map((p) => p.key);
    expect(keys).toContain(stepProcessKey('ex_fan', 'x[0]', 1));
    expect(keys).toContain(stepProcessKey('ex_fan', 'x[1]', 1));
    expect(keys).not.toContain(stepProcessKey('ex_fanned', 'x[2]', 1));
    expect(() => process.kill(live.process.pid!, 0)).not.toThrow();
    await host.cancel(stepProcessKey('ex_fan', 'x[1]', 1));
  });
});

/**
 * The service the fuzz suites attack, and how they run fast-check. `startFuzzService()`
 * creates a Stator (memory store, one session at most) with a no-op workflow and a webhook
 * workflow registered and a few finished runs, and returns the ids generated requests may
 * name. `fuzzParams()` gives the runs, the seed (`FUZZ_SEED` replays a run) and a reporter
 * that keeps failure messages short (a counterexample can be a megabyte of brackets).
 * @module
 */
import fc from 'fast-check';
import { createStator, type Stator, type StatorOptions } from '../../src/index.ts';
import type { KnownIds } from './requests.ts';

/** The no-op workflow runs are started on. */
export const NOOP_WORKFLOW = { id: 'fuzz-noop', steps: [{ id: 'a', noop: true }] };
/** A workflow with a webhook (`/hooks/fuzz-hook`) and a NATS trigger (`fuzz.trigger`). */
export const TRIGGERED_WORKFLOW = {
  id: 'fuzz-hook',
  triggers: [{ http: { path: 'fuzz-hook' } }, { nats: { subject: 'fuzz.trigger' } }],
  steps: [{ id: 'a', noop: true }],
};

/** A started fuzz target. */
export interface FuzzService {
  stator: Stator;
  known: KnownIds;
  close(): Promise<void>;
}

/** Creates the service, registers the workflows and finishes a few runs. */
export async function startFuzzService(options: Partial<StatorOptions> = {}): Promise<FuzzService> {
  const stator = await createStator({
    store: 'memory',
    node: 'fuzz',
    shutdownGraceMs: 0,
    maxSessions: 1,
    ...options,
  });
  await stator.registerWorkflow(NOOP_WORKFLOW);
  await stator.registerWorkflow(TRIGGERED_WORKFLOW);
  const executions: string[] = [];
  for (let i = 0; i < 3; i++) {
    const { executionId } = await stator.execute('fuzz-noop', {});
    await stator.waitForExecution(executionId, { timeoutMs: 15_000 });
    executions.push(executionId);
  }
  const triggers = await stator.listTriggers({});
  const known: KnownIds = {
    workflows: ['fuzz-noop', 'fuzz-hook'],
    hooks: ['fuzz-hook'],
    executions,
    triggers: triggers.map((t) => t.id),
  };
  return { stator, known, close: () => stator.close() };
}

const MAX_REPORT = 3000;

/**
 * fast-check parameters: `numRuns`, the seed (FUZZ_SEED replays a run; printed first, so a run
 * cut short by the test's own timeout can still be replayed), failing fast (no shrinking: a
 * shrink of requests that time out one by one outlasts any test timeout), and short reports.
 */
export function fuzzParams<T>(numRuns: number): fc.Parameters<T> {
  const seed =
    process.env.FUZZ_SEED === undefined
      ? Date.now() ^ (Math.random() * 2 ** 31)
      : Number(process.env.FUZZ_SEED);
  console.info(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`);
  return {
    numRuns,
    seed,
    endOnFailure: true,
    asyncReporter: async (details) => {
      if (!details.failed) return;
      const message = fc.defaultReportMessage(details) ?? 'property failed';
      const cut = message.length > MAX_REPORT ? `${message.slice(0, MAX_REPORT)}… (cut)` : message;
      throw new Error(cut, { cause: details.errorInstance });
    },
  };
}

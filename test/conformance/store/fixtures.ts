/**
 * What the Store conformance files share: how an implementation plugs in, the records they
 * write, and `useStores`, which opens stores for a suite and closes them after each test.
 * @module
 */
import { afterEach } from 'vitest';
import { newId } from '../../../src/ids.ts';
import type {
  ExecutionRecord,
  IdempotencyClaim,
  LogLine,
  SessionRecord,
  StepRecord,
  Store,
  StoreLimits,
  TriggerState,
  WorkflowRecord,
} from '../../../src/store/index.ts';
import type { WorkflowDefinition } from '../../../src/workflow/index.ts';

/** How an implementation's test file plugs into the suite. */
export interface StoreConformanceOptions {
  name: string;
  /** A fresh, empty store using `limits` (defaults when absent). */
  create: (limits?: Partial<StoreLimits>) => Promise<Store>;
  /** Closes `old` and opens the same data again; persistence cases run only when given. */
  reopen?: (old: Store) => Promise<Store>;
}

/** Fixed times the records use. */
export const T0 = '2026-01-01T00:00:00.000Z';
export const T1 = '2026-01-01T00:00:01.000Z';
export const T2 = '2026-01-01T00:00:02.000Z';
/** Small limits, for the log-bound cases. */
export const SMALL: StoreLimits = { maxLogLinesPerStep: 5, maxLineLength: 64 };

/** A workflow definition with noop steps. */
export function definition(id: string, stepIds: string[]): WorkflowDefinition {
  const retry = { attempts: 1, backoffMs: 1000, factor: 2, maxMs: 300_000, jitter: 0 };
  return {
    id,
    env: { A: '1' },
    concurrency: 16,
    steps: stepIds.map((s) => ({
      id: s,
      kind: 'noop',
      needs: [],
      retry,
      env: {},
      continueOnError: false,
    })),
  };
}

/** A workflow record with one step; `over` replaces fields. */
export function workflow(id: string, over: Partial<WorkflowRecord> = {}): WorkflowRecord {
  return {
    id,
    definition: definition(id, ['a']),
    version: 1,
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

/** A step record that has not run. */
export function pending(id: string): StepRecord {
  return {
    id,
    status: 'pending',
    attempts: 0,
    exitCode: null,
    startedAt: null,
    finishedAt: null,
    error: null,
  };
}

/** A new execution record (fresh id) with pending steps. */
export function execution(
  workflowId: string,
  stepIds = ['build', 'test', 'deploy'],
  over: Partial<ExecutionRecord> = {},
): ExecutionRecord {
  return {
    id: newId('ex'),
    workflowId,
    status: 'pending',
    input: { branch: 'main', n: 1 },
    createdAt: T0,
    startedAt: null,
    finishedAt: null,
    error: null,
    engineId: null,
    node: null,
    definition: definition(workflowId, stepIds),
    steps: stepIds.map(pending),
    ...over,
  };
}

/** `count` log lines of a step, numbered from `from`. */
export function lines(
  stepId: string,
  from: number,
  count: number,
  stream: LogLine['stream'] = 'stdout',
): LogLine[] {
  return Array.from({ length: count }, (_, i) => ({
    stepId,
    stream,
    line: `${stepId}-${from + i}`,
    ts: T1,
  }));
}

/** A trigger state; `over` replaces fields. */
export function triggerState(id: string, over: Partial<TriggerState> = {}): TriggerState {
  return {
    id,
    workflowId: 'nightly',
    paused: false,
    lastFireAt: null,
    lastResult: null,
    updatedAt: T0,
    ...over,
  };
}

/** A session record with every field set; `over` replaces fields. */
export function sessionRecord(id: string, over: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id,
    node: 'n1',
    definition: {
      name: `repl ${id}`,
      command: ['sh', '-c', 'cat'],
      env: { MODE: 'test' },
      tags: ['agent', 'dev'],
      restart: 'on_failure',
      maxRestarts: 5,
      restartWindowMs: 60_000,
      backoffMs: 500,
      backoffMaxMs: 30_000,
      autostart: false,
      attention: { prompt: '^> $' },
      preferences: { color: 'blue', pinned: { order: 1 } },
    },
    status: 'running',
    activity: 'awaiting_input',
    pid: 4242,
    restarts: 1,
    recentRestarts: [T1],
    exitCode: null,
    lastError: null,
    createdAt: T0,
    updatedAt: T1,
    startedAt: T1,
    awaitingSince: T2,
    ...over,
  };
}

/** Times for claim expiry. */
export const HOUR_LATER = '2026-01-01T01:00:00.000Z';
export const TWO_HOURS_LATER = '2026-01-01T02:00:00.000Z';

/** A claim of `key` in scope `hook:deploy`, live for one hour from T0. */
export function claim(key: string, over: Partial<IdempotencyClaim> = {}): IdempotencyClaim {
  return {
    scope: 'hook:deploy',
    key,
    executionId: newId('ex'),
    createdAt: T0,
    expiresAt: HOUR_LATER,
    ...over,
  };
}

/** The stores a suite opened: `open` makes one, `track` adds a reopened one; all close after each test. */
export function useStores(opts: StoreConformanceOptions): {
  open: (limits?: Partial<StoreLimits>) => Promise<Store>;
  track: (store: Store) => Store;
} {
  const opened: Store[] = [];
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });
  const track = (store: Store): Store => {
    opened.push(store);
    return store;
  };
  return { open: async (limits) => track(await opts.create(limits)), track };
}

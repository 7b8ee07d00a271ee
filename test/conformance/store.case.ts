/**
 * The Store contract, run against every implementation (SQLite, memory, JetStream). It tests
 * behaviour through the Store interface only. `create(limits)` must honour the limits it is
 * given (the log-bound cases use small ones); `reopen(old)` closes `old` and opens the same
 * data again, with the same limits.
 * @module
 */
import { afterEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/ids.ts';
import type {
  ExecutionRecord,
  ExecutionStatus,
  IdempotencyClaim,
  LogLine,
  StepRecord,
  Store,
  StoreLimits,
  SessionRecord,
  TriggerState,
  WorkflowRecord,
} from '../../src/store/types.ts';
import type { WorkflowDefinition } from '../../src/workflow/types.ts';

/** How an implementation's test file plugs into the suite. */
export interface StoreConformanceOptions {
  name: string;
  /** A fresh, empty store using `limits` (defaults when absent). */
  create: (limits?: Partial<StoreLimits>) => Promise<Store>;
  /** Closes `old` and opens the same data again; persistence cases run only when given. */
  reopen?: (old: Store) => Promise<Store>;
}

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:00:01.000Z';
const T2 = '2026-01-01T00:00:02.000Z';
const SMALL: StoreLimits = { maxLogLinesPerStep: 5, maxLineLength: 64 };

/** A workflow definition with noop steps. */
function definition(id: string, stepIds: string[]): WorkflowDefinition {
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

function workflow(id: string, over: Partial<WorkflowRecord> = {}): WorkflowRecord {
  return {
    id,
    definition: definition(id, ['a']),
    version: 1,
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

function pending(id: string): StepRecord {
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

function execution(
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

function lines(
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

function triggerState(id: string, over: Partial<TriggerState> = {}): TriggerState {
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

function sessionRecord(id: string, over: Partial<SessionRecord> = {}): SessionRecord {
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

const HOUR_LATER = '2026-01-01T01:00:00.000Z';
const TWO_HOURS_LATER = '2026-01-01T02:00:00.000Z';

function claim(key: string, over: Partial<IdempotencyClaim> = {}): IdempotencyClaim {
  return {
    scope: 'hook:deploy',
    key,
    executionId: newId('ex'),
    createdAt: T0,
    expiresAt: HOUR_LATER,
    ...over,
  };
}

/** Registers the Store contract suite for one implementation. */
export function runStoreConformance(opts: StoreConformanceOptions): void {
  describe(`Store conformance: ${opts.name}`, () => {
    const opened: Store[] = [];
    const open = async (limits?: Partial<StoreLimits>): Promise<Store> => {
      const store = await opts.create(limits);
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    describe('workflows', () => {
      it('puts, gets and reports its kind', async () => {
        const store = await open();
        expect(typeof store.kind).toBe('string');
        expect(store.kind.length).toBeGreaterThan(0);
        await store.putWorkflow(workflow('deploy', { source: 'id: deploy\n' }));
        await store.putWorkflow(workflow('plain'));
        expect(await store.getWorkflow('deploy')).toEqual(
          workflow('deploy', { source: 'id: deploy\n' }),
        );
        const plain = await store.getWorkflow('plain');
        expect(plain).toEqual(workflow('plain'));
        expect(plain).not.toHaveProperty('source');
        expect(await store.getWorkflow('missing')).toBeUndefined();
      });

      it('bumps the version on replace and keeps createdAt', async () => {
        const store = await open();
        await store.putWorkflow(workflow('w', { source: 'v1' }));
        const next = definition('w', ['a', 'b']);
        await store.putWorkflow(
          workflow('w', { definition: next, source: 'v2', createdAt: T1, updatedAt: T1 }),
        );
        await store.putWorkflow(
          workflow('w', { definition: next, createdAt: T2, updatedAt: T2, version: 1 }),
        );
        const got = await store.getWorkflow('w');
        expect(got).toEqual({
          id: 'w',
          definition: next,
          version: 3,
          createdAt: T0,
          updatedAt: T2,
        });
      });

      it('lists by id with cursor paging', async () => {
        const store = await open();
        const ids = ['g', 'c', 'a', 'f', 'b', 'e', 'd'];
        for (const id of ids) await store.putWorkflow(workflow(id));
        const seen: string[] = [];
        let page = await store.listWorkflows({ limit: 3 });
        expect(page.items.map((w) => w.id)).toEqual(['a', 'b', 'c']);
        seen.push(...page.items.map((w) => w.id));
        while (page.nextCursor !== null) {
          page = await store.listWorkflows({ limit: 3, cursor: page.nextCursor });
          seen.push(...page.items.map((w) => w.id));
        }
        expect(seen).toEqual([...ids].sort());
        const all = await store.listWorkflows();
        expect(all.nextCursor).toBeNull();
        expect(all.items).toHaveLength(7);
        expect(all.items[0]).toEqual(workflow('a'));
        expect((await store.listWorkflows({ limit: 7 })).nextCursor).toBeNull();
      });

      it('deletes a workflow and keeps its executions', async () => {
        const store = await open();
        await store.putWorkflow(workflow('gone'));
        const ex = execution('gone');
        await store.createExecution(ex);
        expect(await store.deleteWorkflow('gone')).toBe(true);
        expect(await store.deleteWorkflow('gone')).toBe(false);
        expect(await store.getWorkflow('gone')).toBeUndefined();
        expect(await store.getExecution(ex.id)).toEqual(ex);
        const page = await store.listExecutions({ workflowId: 'gone' });
        expect(page.items.map((e) => e.id)).toEqual([ex.id]);
      });
    });

    describe('executions', () => {
      it('creates and reads back an execution with steps in definition order', async () => {
        const store = await open();
        const ex = execution('w', ['zeta', 'alpha', 'mid']);
        await store.createExecution(ex);
        const got = await store.getExecution(ex.id);
        expect(got).toEqual(ex);
        expect(got!.steps.map((s) => s.id)).toEqual(['zeta', 'alpha', 'mid']);
        expect(await store.getExecution('ex_missing')).toBeUndefined();
      });

      it('rejects a second create with the same id as a conflict', async () => {
        const store = await open();
        const ex = execution('w');
        await store.createExecution(ex);
        const again = { ...execution('other'), id: ex.id };
        await expect(store.createExecution(again)).rejects.toMatchObject({ code: 'conflict' });
        expect(await store.getExecution(ex.id)).toEqual(ex);
      });

      it('updates only the patched fields', async () => {
        const store = await open();
        const ex = execution('w');
        await store.createExecution(ex);
        await store.updateExecution(ex.id, {
          status: 'running',
          startedAt: T1,
          engineId: 'eng-1',
          node: 'n1',
        });
        const error = {
          code: 'internal' as const,
          message: 'boom',
          details: { step: 'test' },
          recoverable: false,
        };
        await store.updateExecution(ex.id, { status: 'failed', finishedAt: T2, error });
        let got = await store.getExecution(ex.id);
        expect(got).toEqual({
          ...ex,
          status: 'failed',
          startedAt: T1,
          finishedAt: T2,
          error,
          engineId: 'eng-1',
          node: 'n1',
        });
        await store.updateExecution(ex.id, { error: null, engineId: null });
        got = await store.getExecution(ex.id);
        expect(got!.error).toBeNull();
        expect(got!.engineId).toBeNull();
        expect(got!.node).toBe('n1');
        expect(got!.status).toBe('failed');
      });

      it('rejects updates of an unknown execution as not found', async () => {
        const store = await open();
        await expect(store.updateExecution('ex_nope', { status: 'running' })).rejects.toMatchObject(
          { code: 'not_found' },
        );
        await expect(store.updateExecution('ex_nope', {})).rejects.toMatchObject({
          code: 'not_found',
        });
        await expect(store.putStep('ex_nope', pending('a'))).rejects.toMatchObject({
          code: 'not_found',
        });
      });

      it('upserts steps: updates keep their place, new steps go last', async () => {
        const store = await open();
        const ex = execution('w', ['c', 'a', 'b']);
        await store.createExecution(ex);
        const running: StepRecord = {
          ...pending('a'),
          status: 'running',
          attempts: 1,
          startedAt: T1,
        };
        await store.putStep(ex.id, running);
        const done: StepRecord = {
          ...running,
          status: 'failed',
          exitCode: 2,
          finishedAt: T2,
          error: 'exit 2',
        };
        await store.putStep(ex.id, done);
        await store.putStep(ex.id, { ...pending('extra'), status: 'skipped' });
        const got = await store.getExecution(ex.id);
        expect(got!.steps).toEqual([
          pending('c'),
          done,
          pending('b'),
          { ...pending('extra'), status: 'skipped' },
        ]);
      });

      it('lists newest first with filters and cursor paging', async () => {
        const store = await open();
        const statuses: ExecutionStatus[] = ['pending', 'running', 'completed', 'failed'];
        const created: ExecutionRecord[] = [];
        for (let i = 0; i < 120; i++) {
          const ex = execution(i % 3 === 0 ? 'alpha' : 'beta', ['s'], { status: statuses[i % 4]! });
          await store.createExecution(ex);
          created.push(ex);
        }
        const newest = [...created].reverse();
        const collect = async (q: {
          workflowId?: string;
          status?: ExecutionStatus;
          limit?: number;
        }) => {
          const ids: string[] = [];
          const sizes: number[] = [];
          let cursor: string | undefined;
          do {
            const page = await store.listExecutions({ ...q, cursor });
            ids.push(...page.items.map((e) => e.id));
            sizes.push(page.items.length);
            cursor = page.nextCursor ?? undefined;
          } while (cursor !== undefined && sizes.length < 50);
          return { ids, sizes };
        };
        const all = await collect({});
        expect(all.sizes).toEqual([50, 50, 20]);
        expect(all.ids).toEqual(newest.map((e) => e.id));
        const byWf = await collect({ workflowId: 'alpha', limit: 15 });
        expect(byWf.ids).toEqual(newest.filter((e) => e.workflowId === 'alpha').map((e) => e.id));
        expect(byWf.sizes).toEqual([15, 15, 10]);
        const byStatus = await collect({ status: 'failed', limit: 7 });
        expect(byStatus.ids).toEqual(newest.filter((e) => e.status === 'failed').map((e) => e.id));
        const both = await collect({ workflowId: 'beta', status: 'running', limit: 4 });
        expect(both.ids).toEqual(
          newest.filter((e) => e.workflowId === 'beta' && e.status === 'running').map((e) => e.id),
        );
        const first = await store.listExecutions({ limit: 1000 });
        expect(first.items).toHaveLength(120);
        expect(first.nextCursor).toBeNull();
        const { definition: _d, steps: _s, ...summary } = newest[0]!;
        expect(first.items[0]).toEqual(summary);
        expect((await store.listExecutions({ workflowId: 'none' })).items).toEqual([]);
      });

      it('rejects a bad page size or cursor as an invalid argument', async () => {
        const store = await open();
        await expect(store.listExecutions({ limit: 0 })).rejects.toMatchObject({
          code: 'invalid_argument',
        });
        await expect(store.listExecutions({ cursor: 'not a cursor!' })).rejects.toMatchObject({
          code: 'invalid_argument',
        });
        await expect(store.listWorkflows({ limit: -1 })).rejects.toMatchObject({
          code: 'invalid_argument',
        });
        await expect(store.listWorkflows({ cursor: '***' })).rejects.toMatchObject({
          code: 'invalid_argument',
        });
      });

      it('lists unfinished executions with their steps', async () => {
        const store = await open();
        const exs = (
          [
            'pending',
            'running',
            'awaiting_approval',
            'completed',
            'failed',
            'cancelled',
            'timed_out',
          ] as const
        ).map((status) => execution('w', ['a', 'b'], { status }));
        for (const ex of exs) await store.createExecution(ex);
        await store.updateExecution(exs[1]!.id, { status: 'completed', finishedAt: T2 });
        await store.putStep(exs[0]!.id, { ...pending('b'), status: 'running', attempts: 1 });
        const unfinished = await store.listUnfinishedExecutions();
        const byId = [...unfinished].sort((x, y) => (x.id < y.id ? -1 : 1));
        expect(byId).toEqual([
          {
            ...exs[0]!,
            steps: [pending('a'), { ...pending('b'), status: 'running', attempts: 1 }],
          },
          exs[2]!,
        ]);
      });

      it('copies records in and out', async () => {
        const store = await open();
        const ex = execution('w');
        const snapshot = structuredClone(ex);
        await store.createExecution(ex);
        ex.steps[0]!.status = 'failed';
        ex.input.branch = 'mutated';
        ex.definition.steps.pop();
        const got = await store.getExecution(ex.id);
        expect(got).toEqual(snapshot);
        got!.steps[1]!.attempts = 99;
        (got!.input as { n: number }).n = 42;
        const step: StepRecord = { ...pending('build'), status: 'running' };
        await store.putStep(ex.id, step);
        step.status = 'failed';
        const wf = workflow('w');
        await store.putWorkflow(wf);
        wf.definition.steps.length = 0;
        (await store.getWorkflow('w'))!.definition.env.A = 'changed';
        expect(await store.getExecution(ex.id)).toEqual({
          ...snapshot,
          steps: [{ ...pending('build'), status: 'running' }, ...snapshot.steps.slice(1)],
        });
        expect(await store.getWorkflow('w')).toEqual(workflow('w'));
      });
    });

    describe('logs', () => {
      it('keeps append order across steps and filters by step', async () => {
        const store = await open();
        const ex = execution('w');
        await store.createExecution(ex);
        const batch1 = [
          ...lines('build', 0, 2),
          ...lines('test', 0, 1, 'stderr'),
          ...lines('build', 2, 1),
        ];
        const batch2 = [...lines('test', 1, 2), ...lines('build', 3, 1, 'stderr')];
        await store.appendLogs(ex.id, batch1);
        await store.appendLogs(ex.id, batch2);
        await store.appendLogs(ex.id, []);
        expect(await store.getLogs(ex.id)).toEqual({
          lines: [...batch1, ...batch2],
          truncated: {},
        });
        const build = await store.getLogs(ex.id, { stepId: 'build' });
        expect(build.lines).toEqual([...batch1, ...batch2].filter((l) => l.stepId === 'build'));
        expect(await store.getLogs(ex.id, { stepId: 'deploy' })).toEqual({
          lines: [],
          truncated: {},
        });
        expect(await store.getLogs('ex_missing')).toEqual({ lines: [], truncated: {} });
        await expect(store.appendLogs('ex_missing', lines('a', 0, 1))).rejects.toMatchObject({
          code: 'not_found',
        });
      });

      it('keeps the newest lines per step and counts the dropped ones', async () => {
        const store = await open(SMALL);
        const ex = execution('w');
        await store.createExecution(ex);
        await store.appendLogs(ex.id, lines('build', 0, 3));
        await store.appendLogs(ex.id, [...lines('build', 3, 4), ...lines('test', 0, 12)]);
        for (let i = 0; i < 8; i++) await store.appendLogs(ex.id, lines('deploy', i, 1));
        await store.appendLogs(ex.id, lines('other', 0, 5));
        const logs = await store.getLogs(ex.id);
        expect(logs.truncated).toEqual({ build: 2, test: 7, deploy: 3 });
        const of = (step: string) => logs.lines.filter((l) => l.stepId === step).map((l) => l.line);
        expect(of('build')).toEqual(['build-2', 'build-3', 'build-4', 'build-5', 'build-6']);
        expect(of('test')).toEqual(['test-7', 'test-8', 'test-9', 'test-10', 'test-11']);
        expect(of('deploy')).toEqual(['deploy-3', 'deploy-4', 'deploy-5', 'deploy-6', 'deploy-7']);
        expect(of('other')).toHaveLength(5);
        expect(logs.lines.map((l) => l.stepId).slice(0, 5)).toEqual([
          'build',
          'build',
          'build',
          'build',
          'build',
        ]);
        const test = await store.getLogs(ex.id, { stepId: 'test' });
        expect(test.truncated).toEqual({ test: 7 });
        expect(test.lines.map((l) => l.line)).toEqual(of('test'));
      });

      it('cuts long lines and marks how much was cut', async () => {
        const store = await open(SMALL);
        const ex = execution('w');
        await store.createExecution(ex);
        const exact = 'x'.repeat(64);
        const long = 'y'.repeat(64) + 'z'.repeat(36);
        await store.appendLogs(ex.id, [
          { stepId: 'build', stream: 'stdout', line: exact, ts: T1 },
          { stepId: 'build', stream: 'stderr', line: long, ts: T2 },
        ]);
        const [a, b] = (await store.getLogs(ex.id)).lines;
        expect(a).toEqual({ stepId: 'build', stream: 'stdout', line: exact, ts: T1 });
        expect(b!.line.startsWith('y'.repeat(64))).toBe(true);
        expect(b!.line).not.toContain('z');
        expect(b!.line).toMatch(/\[truncated 36 chars\]$/);
        expect(b!.stream).toBe('stderr');
      });

      it('applies the default limits: 1000 lines per step, 8192 chars per line', async () => {
        const store = await open();
        const ex = execution('w');
        await store.createExecution(ex);
        await store.appendLogs(ex.id, lines('build', 0, 1003));
        await store.appendLogs(ex.id, [
          { stepId: 'test', stream: 'stdout', line: 'q'.repeat(9000), ts: T1 },
        ]);
        const logs = await store.getLogs(ex.id);
        expect(logs.truncated).toEqual({ build: 3 });
        expect(logs.lines).toHaveLength(1001);
        expect(logs.lines[0]!.line).toBe('build-3');
        expect(logs.lines[1000]!.line).toMatch(/^q{8192}(?!q).*\[truncated 808 chars\]$/);
      });
    });

    describe('trigger states', () => {
      it('puts, gets, replaces, lists by id and deletes', async () => {
        const store = await open();
        expect(await store.getTriggerState('nightly-cron-0')).toBeUndefined();
        expect(await store.listTriggerStates()).toEqual([]);
        const fired = triggerState('nightly-cron-0', {
          lastFireAt: T1,
          lastResult: { status: 'started', executionId: 'ex_1' },
          updatedAt: T1,
        });
        const paused = triggerState('backup-cron-1', {
          workflowId: 'backup',
          paused: true,
          lastResult: { status: 'skipped', reason: 'overlap' },
        });
        const hook = triggerState('deploy-http-0', { workflowId: 'deploy' });
        for (const s of [fired, paused, hook]) await store.putTriggerState(s);
        expect(await store.getTriggerState('nightly-cron-0')).toEqual(fired);
        expect(await store.getTriggerState('backup-cron-1')).toEqual(paused);
        const replaced = triggerState('nightly-cron-0', {
          paused: true,
          lastFireAt: T2,
          lastResult: { status: 'failed', reason: 'boom' },
          updatedAt: T2,
        });
        await store.putTriggerState(replaced);
        expect(await store.getTriggerState('nightly-cron-0')).toEqual(replaced);
        expect(await store.listTriggerStates()).toEqual([paused, hook, replaced]);
        await store.deleteTriggerState('backup-cron-1');
        await store.deleteTriggerState('never-stored');
        expect(await store.getTriggerState('backup-cron-1')).toBeUndefined();
        expect((await store.listTriggerStates()).map((s) => s.id)).toEqual([
          'deploy-http-0',
          'nightly-cron-0',
        ]);
        await store.putTriggerState(paused);
        expect(await store.getTriggerState('backup-cron-1')).toEqual(paused);
      });

      it('copies states in and out, and accepts ids that are not subject-safe', async () => {
        const store = await open();
        const state = triggerState('odd id/with.dots', {
          lastResult: { status: 'queued', executionId: 'ex_2' },
        });
        await store.putTriggerState(state);
        state.lastResult!.status = 'failed';
        const got = await store.getTriggerState('odd id/with.dots');
        expect(got).toEqual(
          triggerState('odd id/with.dots', {
            lastResult: { status: 'queued', executionId: 'ex_2' },
          }),
        );
        got!.lastResult!.executionId = 'changed';
        expect((await store.listTriggerStates())[0]!.lastResult).toEqual({
          status: 'queued',
          executionId: 'ex_2',
        });
      });
    });

    describe('sessions', () => {
      it('puts, gets, replaces, lists by id and deletes', async () => {
        const store = await open();
        expect(await store.getSession('ses_b')).toBeUndefined();
        expect(await store.listSessions()).toEqual([]);
        const b = sessionRecord('ses_b');
        const a = sessionRecord('ses_a', {
          status: 'stopped',
          activity: null,
          pid: null,
          exitCode: 0,
          startedAt: null,
          awaitingSince: null,
        });
        await store.putSession(b);
        await store.putSession(a);
        expect(await store.getSession('ses_b')).toEqual(b);
        expect(await store.listSessions()).toEqual([a, b]);
        const replaced = sessionRecord('ses_b', {
          status: 'crashed',
          activity: null,
          lastError: 'exited with code 1',
          exitCode: 1,
          restarts: 2,
          recentRestarts: [T1, T2],
          updatedAt: T2,
        });
        await store.putSession(replaced);
        expect(await store.getSession('ses_b')).toEqual(replaced);
        expect(await store.deleteSession('ses_a')).toBe(true);
        expect(await store.deleteSession('ses_a')).toBe(false);
        expect(await store.deleteSession('never-stored')).toBe(false);
        expect(await store.listSessions()).toEqual([replaced]);
        await store.putSession(a);
        expect(await store.getSession('ses_a')).toEqual(a);
      });

      it('copies records in and out', async () => {
        const store = await open();
        const record = sessionRecord('ses_c');
        await store.putSession(record);
        record.definition.tags.push('changed');
        record.recentRestarts.push(T2);
        const got = await store.getSession('ses_c');
        expect(got).toEqual(sessionRecord('ses_c'));
        (got!.definition.preferences.pinned as { order: number }).order = 9;
        expect((await store.listSessions())[0]!.definition.preferences).toEqual({
          color: 'blue',
          pinned: { order: 1 },
        });
      });

      it('fills optional fields and refuses an empty id', async () => {
        const store = await open();
        const sparse = { ...sessionRecord('ses_d') } as Partial<SessionRecord>;
        delete sparse.awaitingSince;
        delete sparse.node;
        await store.putSession(sparse as SessionRecord);
        expect(await store.getSession('ses_d')).toMatchObject({ awaitingSince: null, node: null });
        await expect(store.putSession(sessionRecord(''))).rejects.toMatchObject({
          code: 'invalid_argument',
        });
      });

      if (opts.reopen !== undefined) {
        const reopen = opts.reopen;
        it('keeps sessions across close and reopen', async () => {
          const first = await open();
          const record = sessionRecord('ses_e');
          await first.putSession(record);
          const second = await reopen(first);
          opened.push(second);
          expect(await second.getSession('ses_e')).toEqual(record);
          expect(await second.listSessions()).toEqual([record]);
        });
      }
    });

    describe('idempotency claims', () => {
      it('creates the first claim and returns it to every later one', async () => {
        const store = await open();
        const first = claim('k-1');
        expect(await store.claimIdempotencyKey(first)).toEqual({ claim: first, created: true });
        const second = claim('k-1', { createdAt: T1 });
        const again = await store.claimIdempotencyKey(second);
        expect(again).toEqual({ claim: first, created: false });
        expect(again.claim.executionId).not.toBe(second.executionId);
      });

      it('keeps scopes and keys independent', async () => {
        const store = await open();
        const a = claim('k');
        const otherKey = claim('k2');
        const otherScope = claim('k', { scope: 'hook:other' });
        const odd = claim('key with spaces/and.dots', { scope: 'hook:a.b/c' });
        for (const c of [a, otherKey, otherScope, odd]) {
          expect(await store.claimIdempotencyKey(c)).toEqual({ claim: c, created: true });
        }
        expect(await store.claimIdempotencyKey(claim('k'))).toEqual({ claim: a, created: false });
        expect(
          await store.claimIdempotencyKey(
            claim('key with spaces/and.dots', { scope: 'hook:a.b/c' }),
          ),
        ).toEqual({ claim: odd, created: false });
      });

      it('replaces an expired claim, judged at the new claim’s createdAt', async () => {
        const store = await open();
        const old = claim('k');
        await store.claimIdempotencyKey(old);
        // Still live one millisecond before it expires.
        const early = claim('k', {
          createdAt: '2026-01-01T00:59:59.999Z',
          expiresAt: TWO_HOURS_LATER,
        });
        expect(await store.claimIdempotencyKey(early)).toEqual({ claim: old, created: false });
        const late = claim('k', { createdAt: HOUR_LATER, expiresAt: TWO_HOURS_LATER });
        expect(await store.claimIdempotencyKey(late)).toEqual({ claim: late, created: true });
        const after = claim('k', {
          createdAt: '2026-01-01T01:30:00.000Z',
          expiresAt: TWO_HOURS_LATER,
        });
        expect(await store.claimIdempotencyKey(after)).toEqual({ claim: late, created: false });
      });

      it('lets exactly one of 10 concurrent claims of a key create it', async () => {
        const store = await open();
        const claims = Array.from({ length: 10 }, () => claim('race'));
        const results = await Promise.all(claims.map((c) => store.claimIdempotencyKey(c)));
        const winners = results.filter((r) => r.created);
        expect(winners).toHaveLength(1);
        const won = winners[0]!.claim;
        expect(claims.map((c) => c.executionId)).toContain(won.executionId);
        for (const r of results) expect(r.claim).toEqual(won);
      });

      it('rejects a malformed claim as an invalid argument', async () => {
        const store = await open();
        const bad: IdempotencyClaim[] = [
          claim(''),
          claim('k', { scope: '' }),
          claim('x'.repeat(257)),
          claim('k', { executionId: '' }),
          claim('k', { createdAt: 'yesterday' }),
          claim('k', { expiresAt: T0 }),
        ];
        for (const c of bad) {
          await expect(store.claimIdempotencyKey(c)).rejects.toMatchObject({
            code: 'invalid_argument',
          });
        }
        const ok = claim('k');
        expect(await store.claimIdempotencyKey(ok)).toEqual({ claim: ok, created: true });
      });
    });

    it('closes idempotently and then refuses calls as unavailable', async () => {
      const store = await open();
      await store.close();
      await store.close();
      await expect(store.getWorkflow('w')).rejects.toMatchObject({ code: 'unavailable' });
      await expect(store.listExecutions()).rejects.toMatchObject({ code: 'unavailable' });
      await expect(store.listTriggerStates()).rejects.toMatchObject({ code: 'unavailable' });
      await expect(store.claimIdempotencyKey(claim('k'))).rejects.toMatchObject({
        code: 'unavailable',
      });
    });

    it('creates and reads back a 10,000-step execution', { timeout: 120_000 }, async () => {
      const store = await open();
      const stepIds = Array.from(
        { length: 10_000 },
        (_, i) => `step-${((10_000 - i) * 7) % 10_007}`,
      );
      const ex = execution('big', stepIds);
      await store.createExecution(ex);
      await store.putStep(ex.id, { ...pending(stepIds[9_999]!), status: 'succeeded', attempts: 1 });
      const got = await store.getExecution(ex.id);
      expect(got!.steps).toHaveLength(10_000);
      expect(got!.steps.map((s) => s.id)).toEqual(stepIds);
      expect(got!.steps[9_999]!.status).toBe('succeeded');
      expect(got!.definition.steps).toHaveLength(10_000);
      const unfinished = await store.listUnfinishedExecutions();
      expect(unfinished.map((e) => e.id)).toEqual([ex.id]);
    });

    if (opts.reopen !== undefined) {
      const reopen = opts.reopen;
      it('keeps every record across close and reopen', { timeout: 60_000 }, async () => {
        const first = await open(SMALL);
        await first.putWorkflow(workflow('w', { source: 'v1' }));
        await first.putWorkflow(workflow('w', { source: 'v2', updatedAt: T1 }));
        const done = execution('w', ['a', 'b'], { status: 'completed', finishedAt: T2 });
        const live = execution('w', ['a', 'b']);
        await first.createExecution(done);
        await first.createExecution(live);
        await first.updateExecution(live.id, {
          status: 'running',
          startedAt: T1,
          engineId: 'e1',
          node: 'n1',
        });
        await first.putStep(live.id, { ...pending('a'), status: 'running', attempts: 2 });
        await first.appendLogs(live.id, lines('a', 0, 7));
        const before = {
          workflow: await first.getWorkflow('w'),
          live: await first.getExecution(live.id),
          logs: await first.getLogs(live.id),
        };
        expect(before.workflow!.version).toBe(2);
        const second = await reopen(first);
        opened.push(second);
        expect(await second.getWorkflow('w')).toEqual(before.workflow);
        expect(await second.getExecution(live.id)).toEqual(before.live);
        expect(await second.getExecution(done.id)).toEqual(done);
        expect(await second.getLogs(live.id)).toEqual(before.logs);
        expect(before.logs.truncated).toEqual({ a: 2 });
        expect((await second.listUnfinishedExecutions()).map((e) => e.id)).toEqual([live.id]);
        expect((await second.listExecutions()).items.map((e) => e.id)).toEqual([live.id, done.id]);
        await expect(second.createExecution(live)).rejects.toMatchObject({ code: 'conflict' });
        await second.appendLogs(live.id, lines('a', 7, 1));
        expect((await second.getLogs(live.id)).truncated).toEqual({ a: 3 });
        await second.putWorkflow(workflow('w'));
        expect((await second.getWorkflow('w'))!.version).toBe(3);
      });

      it('keeps trigger states and claims across close and reopen', async () => {
        const first = await open();
        const state = triggerState('nightly-cron-0', {
          paused: true,
          lastFireAt: T1,
          lastResult: { status: 'started', executionId: 'ex_1' },
        });
        await first.putTriggerState(state);
        const held = claim('k');
        await first.claimIdempotencyKey(held);
        const second = await reopen(first);
        opened.push(second);
        expect(await second.getTriggerState('nightly-cron-0')).toEqual(state);
        expect(await second.listTriggerStates()).toEqual([state]);
        expect(await second.claimIdempotencyKey(claim('k', { createdAt: T1 }))).toEqual({
          claim: held,
          created: false,
        });
      });
    }
  });
}

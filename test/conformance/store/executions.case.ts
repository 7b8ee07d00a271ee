/**
 * ExecutionStore conformance: create, patch, step upserts, newest-first lists with filters and
 * cursors, unfinished runs, copies in and out, and a 10,000-step run.
 * @module
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionRecord, ExecutionStatus, StepRecord } from '../../../src/store/index.ts';
import {
  execution,
  pending,
  T1,
  T2,
  useStores,
  workflow,
  type StoreConformanceOptions,
} from './fixtures.ts';

/** Registers the ExecutionStore cases; call it inside a describe that names the store. */
export function runExecutionStoreConformance(opts: StoreConformanceOptions): void {
  describe('executions', () => {
    const { open } = useStores(opts);

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

    it('keeps the error of an unfinished run (one rolling back) for rehydration', async () => {
      const store = await open();
      const ex = execution('w');
      await store.createExecution(ex);
      await store.updateExecution(ex.id, { status: 'running', startedAt: T1 });
      const error = {
        code: 'timeout' as const,
        message: 'run timed out after 1000 ms',
        recoverable: false,
      };
      await store.updateExecution(ex.id, { status: 'rolling_back', error });
      expect(await store.getExecution(ex.id)).toMatchObject({ status: 'rolling_back', error });
      const unfinished = await store.listUnfinishedExecutions();
      expect(unfinished.find((e) => e.id === ex.id)).toMatchObject({
        status: 'rolling_back',
        error,
      });
    });

    it('rejects updates of an unknown execution as not found', async () => {
      const store = await open();
      await expect(store.updateExecution('ex_nope', { status: 'running' })).rejects.toMatchObject({
        code: 'not_found',
      });
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

    it('keeps the outputs of a step as written; a step without outputs has none', async () => {
      const store = await open();
      const ex = execution('w', ['a', 'b']);
      await store.createExecution(ex);
      const outputs = { version: '1.2.3', count: 3, nested: { ok: true, list: [1, 'two'] } };
      const a: StepRecord = {
        ...pending('a'),
        status: 'succeeded',
        attempts: 1,
        exitCode: 0,
        startedAt: T1,
        finishedAt: T2,
        outputs,
      };
      await store.putStep(ex.id, a);
      outputs.version = 'changed after the write';
      const got = await store.getExecution(ex.id);
      expect(got!.steps[0]!.outputs).toEqual({
        version: '1.2.3',
        count: 3,
        nested: { ok: true, list: [1, 'two'] },
      });
      expect(got!.steps[1]).not.toHaveProperty('outputs');
    });

    it("keeps a child run's parent link and a step's child execution id", async () => {
      const store = await open();
      const parent = execution('p', ['c']);
      const link = { executionId: parent.id, stepId: 'c', attempt: 2 };
      const child = { ...execution('k', ['a']), parent: link };
      await store.createExecution(parent);
      await store.createExecution(child);
      await store.putStep(parent.id, {
        ...pending('c'),
        status: 'running',
        attempts: 1,
        startedAt: T1,
        childExecutionId: child.id,
      });
      const got = await store.getExecution(parent.id);
      expect(got!.steps[0]!.childExecutionId).toBe(child.id);
      expect(got).not.toHaveProperty('parent');
      expect((await store.getExecution(child.id))!.parent).toEqual(link);
      const listed = await store.listExecutions({ workflowId: 'k' });
      expect(listed.items[0]!.parent).toEqual(link);
    });

    it("keeps an approval step's wait and decision, and the awaiting_approval filter", async () => {
      const store = await open();
      const ex = execution('gated', ['gate']);
      await store.createExecution(ex);
      const approval = {
        attempt: 1,
        message: 'go?',
        approvers: ['ann'],
        since: T1,
        deadline: T2,
      };
      const waiting = { ...pending('gate'), status: 'running' as const, attempts: 1, approval };
      await store.putStep(ex.id, waiting);
      await store.updateExecution(ex.id, { status: 'awaiting_approval', startedAt: T1 });
      expect((await store.getExecution(ex.id))!.steps[0]!.approval).toEqual(approval);
      const listed = await store.listExecutions({ status: 'awaiting_approval' });
      expect(listed.items.map((e) => e.id)).toEqual([ex.id]);
      const decision = { approved: false, by: 'ann', at: T2, comment: 'no' };
      await store.putStep(ex.id, { ...waiting, approval: { ...approval, decision } });
      const got = await store.getExecution(ex.id);
      expect(got!.steps[0]!.approval).toEqual({ ...approval, decision });
      // A copy: changing what was read changes nothing stored.
      got!.steps[0]!.approval!.decision!.by = 'mallory';
      expect((await store.getExecution(ex.id))!.steps[0]!.approval!.decision!.by).toBe('ann');
    });

    it("keeps a step's artifacts, kept and refused, as a copy", async () => {
      const store = await open();
      const ex = execution('art', ['a']);
      await store.createExecution(ex);
      const artifacts = [
        { name: 'a/out/app.bin', size: 12, sha256: 'ab'.repeat(32) },
        { name: 'a/out/leak', size: 0, refused: 'a symlink leading outside the working directory' },
      ];
      await store.putStep(ex.id, { ...pending('a'), status: 'succeeded', attempts: 1, artifacts });
      const got = await store.getExecution(ex.id);
      expect(got!.steps[0]!.artifacts).toEqual(artifacts);
      got!.steps[0]!.artifacts![0]!.size = 1;
      expect((await store.getExecution(ex.id))!.steps[0]!.artifacts![0]!.size).toBe(12);
      await store.putStep(ex.id, {
        ...pending('a'),
        status: 'succeeded',
        attempts: 2,
        artifacts: [],
      });
      expect((await store.getExecution(ex.id))!.steps[0]!.artifacts).toEqual([]);
    });

    it("keeps a retry run's link and its kept steps (reused), created settled", async () => {
      const store = await open();
      const old = execution('r', ['a', 'b']);
      await store.createExecution(old);
      const kept: StepRecord = {
        ...pending('a'),
        status: 'succeeded',
        attempts: 2,
        exitCode: 0,
        startedAt: T1,
        finishedAt: T2,
        outputs: { token: 't' },
        reused: true,
      };
      const retry = { ...execution('r', ['a', 'b']), retryOf: old.id };
      retry.steps = [kept, pending('b'), { ...pending('a[0]'), status: 'succeeded', reused: true }];
      await store.createExecution(retry);
      const got = await store.getExecution(retry.id);
      expect(got!.retryOf).toBe(old.id);
      expect(got!.steps).toEqual(retry.steps);
      expect(got!.steps[1]).not.toHaveProperty('reused');
      expect(await store.getExecution(old.id)).not.toHaveProperty('retryOf');
      const listed = await store.listExecutions({ workflowId: 'r' });
      expect(listed.items.find((e) => e.id === retry.id)!.retryOf).toBe(old.id);
      // A later write of another step leaves the kept one as it was.
      await store.putStep(retry.id, { ...pending('b'), status: 'running', attempts: 1 });
      expect((await store.getExecution(retry.id))!.steps[0]).toEqual(kept);
    });

    it('keeps who paused a run until it is resumed, in reads and lists', async () => {
      const store = await open();
      const ex = execution('p', ['a']);
      await store.createExecution(ex);
      expect(await store.getExecution(ex.id)).not.toHaveProperty('paused');
      const paused = { at: T1, by: 'ann', reason: 'breakpoint' as const, stepId: 'a' };
      await store.updateExecution(ex.id, { status: 'running', paused });
      const got = await store.getExecution(ex.id);
      expect(got!.paused).toEqual(paused);
      expect(got!.status).toBe('running');
      got!.paused!.by = 'mallory';
      expect((await store.getExecution(ex.id))!.paused!.by).toBe('ann');
      const listed = await store.listExecutions({ workflowId: 'p' });
      expect(listed.items[0]!.paused).toEqual(paused);
      // Other patches leave it as it was; null clears it.
      await store.updateExecution(ex.id, { engineId: 'e1' });
      expect((await store.getExecution(ex.id))!.paused).toEqual(paused);
      await store.updateExecution(ex.id, { paused: null });
      expect(await store.getExecution(ex.id)).not.toHaveProperty('paused');
    });

    it("keeps a forEach step's item count, list outputs and its instances x[n]", async () => {
      const store = await open();
      const ex = execution('w', ['x', 'after']);
      await store.createExecution(ex);
      const running = { ...pending('x'), status: 'running' as const, attempts: 1, items: 2 };
      await store.putStep(ex.id, running);
      for (const n of [1, 0]) {
        await store.putStep(ex.id, {
          ...pending(`x[${n}]`),
          status: 'succeeded',
          attempts: 1,
          outputs: { n },
        });
      }
      const list = [{ n: 0 }, { n: 1 }] as unknown as Record<string, unknown>;
      await store.putStep(ex.id, { ...running, status: 'succeeded', outputs: list });
      const got = await store.getExecution(ex.id);
      expect(got!.steps.map((s) => s.id)).toEqual(['x', 'after', 'x[1]', 'x[0]']);
      expect(got!.steps[0]).toMatchObject({ items: 2, outputs: [{ n: 0 }, { n: 1 }] });
      expect(got!.steps[3]).toMatchObject({ status: 'succeeded', outputs: { n: 0 } });
      expect(got!.steps[1]).not.toHaveProperty('items');
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
          'blocked',
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

    it('keeps a blocked run (a policy refused it) as final, listed by its status', async () => {
      const store = await open();
      const error = { code: 'blocked' as const, message: 'blocked by policy', recoverable: false };
      const findings = [{ severity: 'critical', rule: 'destructive-rm-root', stepId: 'a' }];
      const blocked = execution('w', ['a'], {
        status: 'blocked',
        finishedAt: T2,
        error: { ...error, details: { reasons: ['denied'], findings } },
      });
      const other = execution('w', ['a'], { status: 'failed', finishedAt: T2 });
      await store.createExecution(blocked);
      await store.createExecution(other);
      expect(await store.listUnfinishedExecutions()).toEqual([]);
      const page = await store.listExecutions({ workflowId: 'w', status: 'blocked' });
      expect(page.items.map((e) => e.id)).toEqual([blocked.id]);
      expect((await store.getExecution(blocked.id))!.error).toEqual(blocked.error);
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
  });
}

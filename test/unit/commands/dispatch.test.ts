import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStator } from '../../../src/index.ts';
import type { Stator } from '../../../src/runtime/types.ts';
import {
  COMMAND_NAMES,
  dispatch,
  dispatchReply,
  isCommandName,
  parseEventFilter,
} from '../../../src/commands/index.ts';
import { StatorError } from '../../../src/errors.ts';

const DIAMOND = `
id: cmd-diamond
name: Diamond
steps:
  - id: a
    run: echo a
  - id: b
    needs: a
    run: echo b
  - id: c
    needs: a
    run: echo c
  - id: d
    needs: [b, c]
    run: echo d
`;

async function failure(p: Promise<unknown>): Promise<StatorError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StatorError);
  return err as StatorError;
}

const issuePaths = (e: StatorError): string[] =>
  (e.details as { issues: Array<{ path: string }> }).issues.map((i) => i.path);

describe('command layer', () => {
  let stator: Stator;

  beforeAll(async () => {
    stator = await createStator({ store: 'memory' });
  });
  afterAll(async () => {
    await stator?.close();
  });

  it('lists the commands of both front doors, each a valid subject suffix', () => {
    expect(COMMAND_NAMES).toEqual(
      expect.arrayContaining([
        'workflow.register',
        'workflow.list',
        'workflow.get',
        'workflow.delete',
        'workflow.execute',
        'execution.list',
        'execution.get',
        'execution.logs',
        'execution.cancel',
        'health',
        'machine.list',
        'machine.get',
        'trigger.list',
        'trigger.fire',
        'statistics',
      ]),
    );
    expect(new Set(COMMAND_NAMES).size).toBe(COMMAND_NAMES.length);
    for (const name of COMMAND_NAMES) expect(name).toMatch(/^[a-z-]+(\.[a-z-]+)*$/);
    expect(isCommandName('workflow.get')).toBe(true);
    expect(isCommandName('toString')).toBe(false);
  });

  it('answers an unknown command with not_found', async () => {
    const e = await failure(dispatch(stator, 'workflow.explode', {}));
    expect(e.code).toBe('not_found');
    expect(e.details).toEqual({ kind: 'command', id: 'workflow.explode' });
  });

  it('rejects invalid input with invalid_argument naming each field', async () => {
    const e = await failure(dispatch(stator, 'workflow.execute', { input: 'nope' }));
    expect(e.code).toBe('invalid_argument');
    expect(issuePaths(e)).toEqual(expect.arrayContaining(['workflowId', 'input']));

    const list = await failure(dispatch(stator, 'execution.list', { limit: '0', status: 'odd' }));
    expect(issuePaths(list).sort()).toEqual(['limit', 'status']);
  });

  it('registers YAML text, lists summaries and gets the record', async () => {
    const record = await dispatch(stator, 'workflow.register', DIAMOND);
    expect(record.id).toBe('cmd-diamond');
    expect(record.definition.steps.map((s) => s.id)).toEqual(['a', 'b', 'c', 'd']);

    const page = await dispatch(stator, 'workflow.list', { limit: '10' });
    const summary = page.items.find((w) => w.id === 'cmd-diamond');
    expect(summary).toMatchObject({ id: 'cmd-diamond', name: 'Diamond', stepCount: 4, version: 1 });
    expect(summary).not.toHaveProperty('definition');

    const got = await dispatch(stator, 'workflow.get', { id: 'cmd-diamond' });
    expect(got.definition.id).toBe('cmd-diamond');
  });

  it('executes a workflow and shows the run without its definition', async () => {
    await dispatch(stator, 'workflow.register', DIAMOND);
    const { executionId } = await dispatch(stator, 'workflow.execute', {
      workflowId: 'cmd-diamond',
    });
    await stator.waitForExecution(executionId, { timeoutMs: 15_000 });
    const view = await dispatch(stator, 'execution.get', { id: executionId });
    expect(view.status).toBe('completed');
    expect(view).not.toHaveProperty('definition');
    expect(view.steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'succeeded'],
      ['c', 'succeeded'],
      ['d', 'succeeded'],
    ]);
    const logs = await dispatch(stator, 'execution.logs', { id: executionId, stepId: 'd' });
    expect(logs).toContain('d');

    const cancel = await failure(dispatch(stator, 'execution.cancel', { id: executionId }));
    expect(cancel.code).toBe('conflict');
  });

  it('reports not_found for unknown workflows and executions', async () => {
    const run = await failure(dispatch(stator, 'workflow.execute', { workflowId: 'ghost' }));
    expect(run.code).toBe('not_found');
    const get = await failure(dispatch(stator, 'execution.get', { id: 'exec_ghost' }));
    expect(get.code).toBe('not_found');
  });

  it('answers health and the machine catalogue', async () => {
    const health = await dispatch(stator, 'health');
    expect(health.status).toBe('ok');
    expect(health.uptimeSeconds).toBeGreaterThanOrEqual(0);

    const { items } = await dispatch(stator, 'machine.list');
    expect(items.length).toBeGreaterThan(0);
    const first = items[0]!;
    expect(Object.keys(first).sort()).toEqual(['description', 'name']);
    const mermaid = await dispatch(stator, 'machine.get', { name: first.name, format: 'mermaid' });
    expect(mermaid).toContain('stateDiagram-v2');
    const json = await dispatch(stator, 'machine.get', { name: first.name });
    expect(json).toMatchObject({ name: first.name });

    const missing = await failure(dispatch(stator, 'machine.get', { name: 'no-such-machine' }));
    expect(missing.code).toBe('not_found');
  });
});

describe('parseEventFilter', () => {
  it('keeps the given fields and drops empty ones', () => {
    expect(
      parseEventFilter({ executionId: 'x', workflowId: '', kind: 'execution', type: 'step.' }),
    ).toEqual({ executionId: 'x', kind: 'execution', type: 'step.' });
    expect(parseEventFilter(undefined)).toEqual({});
  });

  it('names bad fields', () => {
    try {
      parseEventFilter({ kind: 'robot', severity: 'loud' });
      expect.unreachable();
    } catch (e) {
      expect(issuePaths(e as StatorError).sort()).toEqual(['kind', 'severity']);
    }
  });
});

describe('dispatchReply', () => {
  it('wraps data and errors as request-reply answers', async () => {
    const stator = await createStator({ store: 'memory' });
    try {
      const ok = await dispatchReply(stator, 'health', undefined);
      expect(ok).toMatchObject({ ok: true, data: { status: 'ok' } });
      const bad = await dispatchReply(stator, 'execution.get', { id: '' });
      expect(bad).toEqual({
        ok: false,
        error: {
          code: 'invalid_argument',
          message: 'id: must not be empty',
          details: { issues: [{ path: 'id', message: 'must not be empty' }] },
          recoverable: false,
        },
      });
    } finally {
      await stator.close();
    }
  });
});

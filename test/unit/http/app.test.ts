import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { createStator } from '../../../src/index.ts';
import type { Stator } from '../../../src/runtime/types.ts';
import { createHttpApp } from '../../../src/http/index.ts';

const TOKEN = 'test-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };

const diamond = (id: string) => ({
  id,
  steps: [
    { id: 'a', run: 'echo from-a' },
    { id: 'b', needs: ['a'], run: 'echo from-b' },
    { id: 'c', needs: ['a'], run: 'echo from-c; echo oops >&2' },
    { id: 'd', needs: ['b', 'c'], run: 'echo from-d' },
  ],
});

const YAML_FLOW = `id: yaml-flow
description: registered as YAML
steps:
  - id: only
    run: echo yaml
`;

interface ErrorBody {
  error: { code: string; message: string; details?: unknown; recoverable: boolean };
}

describe('HTTP app', () => {
  let stator: Stator;
  let app: Hono;

  const call = (path: string, init: RequestInit = {}) =>
    app.request(path, { ...init, headers: { ...AUTH, ...(init.headers as object) } });
  const post = (path: string, body?: unknown, type = 'application/json') =>
    call(path, {
      method: 'POST',
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      headers: body === undefined ? {} : { 'content-type': type },
    });
  const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;
  const runToEnd = async (workflowId: string) => {
    const res = await post(`/api/workflows/${workflowId}/execute`);
    expect(res.status).toBe(202);
    const { executionId } = await json<{ executionId: string }>(res);
    await stator.waitForExecution(executionId, { timeoutMs: 15_000 });
    return executionId;
  };

  beforeAll(async () => {
    stator = await createStator({ store: 'memory' });
    app = createHttpApp({ stator, apiToken: TOKEN });
  });
  afterAll(async () => {
    await stator?.close();
  });

  describe('auth', () => {
    it('leaves /health open and reports the service state', async () => {
      const res = await app.request('/health');
      expect(res.status).toBe(200);
      const body = await json<Record<string, unknown>>(res);
      expect(body).toMatchObject({ status: 'ok', activeExecutions: expect.any(Number) });
      expect(body.uptimeSeconds).toEqual(expect.any(Number));
      expect(Array.isArray(body.engines)).toBe(true);
    });

    it('answers 401 without a token, with a wrong token and with a wrong scheme', async () => {
      const variants: Array<Record<string, string>> = [
        {},
        { authorization: 'Bearer wrong' },
        { authorization: `Bearer ${TOKEN}x` },
        { authorization: `Basic ${TOKEN}` },
      ];
      for (const headers of variants) {
        const res = await app.request('/api/workflows', { headers });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toContain('Bearer');
        const body = await json<ErrorBody>(res);
        expect(body.error).toMatchObject({ code: 'unauthorized', recoverable: false });
      }
    });

    it('accepts the right token', async () => {
      expect((await call('/api/workflows')).status).toBe(200);
    });

    it('needs no token when none is configured', async () => {
      const open = createHttpApp({ stator });
      expect((await open.request('/api/machines')).status).toBe(200);
    });
  });

  describe('workflows', () => {
    it('registers JSON and answers 201 with the record', async () => {
      const res = await post('/api/workflows', diamond('http-diamond'));
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe('/api/workflows/http-diamond');
      const body = await json<{ id: string; version: number; definition: { steps: unknown[] } }>(
        res,
      );
      expect(body.id).toBe('http-diamond');
      expect(body.definition.steps).toHaveLength(4);
    });

    it('registers YAML by content type and plain text by detection', async () => {
      const yaml = await post('/api/workflows', YAML_FLOW, 'application/yaml');
      expect(yaml.status).toBe(201);
      const text = await post(
        '/api/workflows',
        YAML_FLOW.replace('yaml-flow', 'text-flow'),
        'text/plain',
      );
      expect(text.status).toBe(201);
      expect((await json<{ id: string }>(text)).id).toBe('text-flow');
    });

    it('answers malformed JSON with 400 malformed_json', async () => {
      const res = await post('/api/workflows', '{"id": "x", steps: [', 'application/json');
      expect(res.status).toBe(400);
      expect((await json<ErrorBody>(res)).error.code).toBe('malformed_json');
    });

    it('answers a YAML syntax error with 400 malformed_yaml, workflows and sessions alike', async () => {
      const broken = 'id: broken\nsteps:\n  - id: a\n    exec: [echo\n';
      const workflow = await post('/api/workflows', broken, 'application/yaml');
      expect(workflow.status).toBe(400);
      const wfError = (await json<ErrorBody>(workflow)).error;
      expect(wfError).toMatchObject({ code: 'malformed_yaml', recoverable: false });
      expect(wfError.message).toMatch(/line \d+/);
      const session = await post('/api/sessions', 'name: [broken\n', 'application/yaml');
      expect(session.status).toBe(400);
      expect((await json<ErrorBody>(session)).error.code).toBe('malformed_yaml');
      // Text that looks like JSON is reported as JSON, as for workflows.
      const jsonish = await post('/api/sessions', '{"name": ', 'text/plain');
      expect((await json<ErrorBody>(jsonish)).error.code).toBe('malformed_json');
    });

    it('answers a cycle with 422 and the cycle path in details', async () => {
      const res = await post('/api/workflows', {
        id: 'cyclic',
        steps: [
          { id: 'a', needs: ['c'], run: 'true' },
          { id: 'b', needs: ['a'], run: 'true' },
          { id: 'c', needs: ['b'], run: 'true' },
        ],
      });
      expect(res.status).toBe(422);
      const { error } = await json<ErrorBody>(res);
      expect(error.code).toBe('invalid_workflow');
      const issues = (error.details as { issues: Array<{ path: string; cycle?: string[] }> })
        .issues;
      expect(issues[0]!.path).toMatch(/^steps\[\d\]\.needs/);
      expect(issues[0]!.cycle).toEqual(['a', 'c', 'b', 'a']);
      expect(error.message).toContain('a -> c -> b -> a');
    });

    it('answers an unknown step kind with 422 naming the field', async () => {
      const res = await post('/api/workflows', {
        id: 'odd-kind',
        steps: [{ id: 'a', docker: 'alpine' }],
      });
      expect(res.status).toBe(422);
      const { error } = await json<ErrorBody>(res);
      expect(error.code).toBe('invalid_workflow');
      const paths = (error.details as { issues: Array<{ path: string }> }).issues.map(
        (i) => i.path,
      );
      expect(paths).toContain('steps[0].docker');
    });

    it('lists, gets and deletes', async () => {
      await post('/api/workflows', diamond('to-delete'));
      const list = await json<{ items: Array<{ id: string }>; nextCursor: string | null }>(
        await call('/api/workflows?limit=500'),
      );
      expect(list.items.map((w) => w.id)).toContain('to-delete');
      expect(list).toHaveProperty('nextCursor');

      const got = await call('/api/workflows/to-delete');
      expect(got.status).toBe(200);
      expect((await json<{ id: string }>(got)).id).toBe('to-delete');

      const del = await call('/api/workflows/to-delete', { method: 'DELETE' });
      expect(del.status).toBe(204);
      expect(await del.text()).toBe('');
      const gone = await call('/api/workflows/to-delete');
      expect(gone.status).toBe(404);
      expect((await json<ErrorBody>(gone)).error.code).toBe('not_found');
    });

    it('pages the workflow list with a cursor', async () => {
      for (const id of ['page-w1', 'page-w2', 'page-w3']) await post('/api/workflows', diamond(id));
      const seen: string[] = [];
      let cursor: string | null = '';
      do {
        const page: { items: Array<{ id: string }>; nextCursor: string | null } = await json(
          await call(`/api/workflows?limit=2&cursor=${encodeURIComponent(cursor ?? '')}`),
        );
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((w) => w.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...seen].sort());
      expect(seen).toEqual(expect.arrayContaining(['page-w1', 'page-w2', 'page-w3']));
    });
  });

  describe('executions', () => {
    it('answers 404 when executing or getting an unknown workflow', async () => {
      const res = await post('/api/workflows/ghost/execute', { input: {} });
      expect(res.status).toBe(404);
      expect((await json<ErrorBody>(res)).error).toMatchObject({ code: 'not_found' });
      expect((await call('/api/workflows/ghost')).status).toBe(404);
      expect((await call('/api/executions/exec_ghost')).status).toBe(404);
    });

    it('rejects execute bodies that are malformed or carry unknown fields', async () => {
      await post('/api/workflows', diamond('exec-bodies'));
      const bad = await post('/api/workflows/exec-bodies/execute', '{"input":', 'application/json');
      expect(bad.status).toBe(400);
      const stray = await post('/api/workflows/exec-bodies/execute', { name: 'x' });
      expect(stray.status).toBe(422);
      const { error } = await json<ErrorBody>(stray);
      expect((error.details as { issues: Array<{ path: string }> }).issues[0]!.path).toBe('name');
      const notObject = await post('/api/workflows/exec-bodies/execute', { input: [1, 2] });
      expect(notObject.status).toBe(422);
    });

    it('refuses inputs x and X at registration, and as undeclared inputs of a run', async () => {
      const clashing = { ...diamond('clashing'), inputs: { x: {}, X: {} } };
      const registered = await post('/api/workflows', clashing);
      expect(registered.status).toBe(422);
      expect((await json<ErrorBody>(registered)).error).toMatchObject({
        code: 'invalid_workflow',
        details: { issues: [{ path: 'inputs.X', message: expect.stringMatching(/INPUT_X/) }] },
      });
      await post('/api/workflows', diamond('open-inputs'));
      const run = await post('/api/workflows/open-inputs/execute', { input: { x: 1, X: 2 } });
      expect(run.status).toBe(422);
      expect((await json<ErrorBody>(run)).error).toMatchObject({
        code: 'invalid_argument',
        details: { issues: [{ path: 'input.X', message: expect.stringMatching(/INPUT_X/) }] },
      });
      expect((await stator.listExecutions({ workflowId: 'open-inputs' })).items).toEqual([]);
    });

    it('runs a workflow: 202, then the view with steps and no definition, then logs', async () => {
      await post('/api/workflows', diamond('run-me'));
      const res = await post('/api/workflows/run-me/execute', { input: { who: 'me' } });
      expect(res.status).toBe(202);
      const { executionId } = await json<{ executionId: string }>(res);
      expect(res.headers.get('location')).toBe(`/api/executions/${executionId}`);
      await stator.waitForExecution(executionId, { timeoutMs: 15_000 });

      const view = await json<Record<string, unknown>>(
        await call(`/api/executions/${executionId}`),
      );
      expect(view).toMatchObject({
        id: executionId,
        workflowId: 'run-me',
        status: 'completed',
        input: { who: 'me' },
        error: null,
      });
      expect(view).not.toHaveProperty('definition');
      expect(typeof view.startedAt).toBe('string');
      expect(typeof view.finishedAt).toBe('string');
      const steps = view.steps as Array<Record<string, unknown>>;
      expect(steps.map((s) => s.id)).toEqual(['a', 'b', 'c', 'd']);
      expect(Object.keys(steps[0]!).sort()).toEqual(
        [
          'attemptStartedAt',
          'attempts',
          'error',
          'exitCode',
          'finishedAt',
          'id',
          'lostAttempts',
          'startedAt',
          'status',
        ].sort(),
      );
      expect(steps[0]).toMatchObject({
        status: 'succeeded',
        attempts: 1,
        exitCode: 0,
        lostAttempts: 0,
      });

      const logs = await call(`/api/executions/${executionId}/logs`);
      expect(logs.status).toBe(200);
      expect(logs.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await logs.text();
      const lines = text.trim().split('\n');
      expect(lines.find((l) => l.includes('from-a'))).toMatch(/\ba\b/);
      expect(lines.find((l) => l.includes('oops'))).toMatch(/\bc\b.*stderr|stderr.*\bc\b/);
      const onlyD = await (await call(`/api/executions/${executionId}/logs?stepId=d`)).text();
      expect(onlyD).toContain('from-d');
      expect(onlyD).not.toContain('from-a');
    });

    it('answers 409 when cancelling a finished run and 200 for a running one', async () => {
      await post('/api/workflows', diamond('finished'));
      const done = await runToEnd('finished');
      const late = await post(`/api/executions/${done}/cancel`);
      expect(late.status).toBe(409);
      expect((await json<ErrorBody>(late)).error.code).toBe('conflict');

      await post('/api/workflows', { id: 'sleepy', steps: [{ id: 'nap', sleep: '60s' }] });
      const started = await json<{ executionId: string }>(
        await post('/api/workflows/sleepy/execute'),
      );
      const res = await post(`/api/executions/${started.executionId}/cancel`);
      expect(res.status).toBe(200);
      const body = await json<{ id: string }>(res);
      expect(body.id).toBe(started.executionId);
      expect(body).not.toHaveProperty('definition');
      const final = await stator.waitForExecution(started.executionId, { timeoutMs: 15_000 });
      expect(final.status).toBe('cancelled');
    });

    it('pages executions newest first and filters them', async () => {
      await post('/api/workflows', diamond('paged'));
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await runToEnd('paged'));

      type ExecPage = { items: Array<Record<string, unknown>>; nextCursor: string | null };
      const first = await json<ExecPage>(await call('/api/executions?workflowId=paged&limit=2'));
      expect(first.items.map((e) => e.id)).toEqual([ids[2], ids[1]]);
      expect(first.items[0]).not.toHaveProperty('definition');
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await json<ExecPage>(
        await call(
          `/api/executions?workflowId=paged&limit=2&cursor=${encodeURIComponent(first.nextCursor!)}`,
        ),
      );
      expect(second.items.map((e) => e.id)).toEqual([ids[0]]);
      expect(second.nextCursor).toBeNull();

      const completed = await json<ExecPage>(
        await call('/api/executions?workflowId=paged&status=completed'),
      );
      expect(completed.items).toHaveLength(3);
      const failed = await json<ExecPage>(
        await call('/api/executions?workflowId=paged&status=failed'),
      );
      expect(failed.items).toHaveLength(0);
    });

    it('names bad query fields', async () => {
      const res = await call('/api/executions?limit=abc&status=weird');
      expect(res.status).toBe(422);
      const { error } = await json<ErrorBody>(res);
      const paths = (error.details as { issues: Array<{ path: string }> }).issues.map(
        (i) => i.path,
      );
      expect(paths.sort()).toEqual(['limit', 'status']);
    });
  });

  describe('machines and edges', () => {
    it('lists machines and prints one as Mermaid or JSON', async () => {
      const list = await json<{ items: Array<{ name: string; description: string }> }>(
        await call('/api/machines'),
      );
      expect(list.items.length).toBeGreaterThan(0);
      const name = list.items[0]!.name;
      const mermaid = await call(`/api/machines/${name}?format=mermaid`);
      expect(mermaid.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await mermaid.text()).toContain('stateDiagram-v2');
      const info = await json<{ name: string; definition: unknown }>(
        await call(`/api/machines/${name}?format=json`),
      );
      expect(info.name).toBe(name);
      expect(info.definition).toBeDefined();
      expect((await call('/api/machines/nope')).status).toBe(404);
      expect((await call(`/api/machines/${name}?format=png`)).status).toBe(422);
    });

    it('answers unknown routes with a structured 404', async () => {
      const res = await call('/api/nothing-here');
      expect(res.status).toBe(404);
      expect((await json<ErrorBody>(res)).error).toMatchObject({
        code: 'not_found',
        details: { kind: 'route', id: 'GET /api/nothing-here' },
      });
    });

    it('answers bodies over the limit with 413 payload_too_large', async () => {
      const small = createHttpApp({ stator, bodyLimitBytes: 64 });
      const res = await small.request('/api/workflows', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...diamond('too-big'), description: 'x'.repeat(200) }),
      });
      expect(res.status).toBe(413);
      expect((await json<ErrorBody>(res)).error).toMatchObject({
        code: 'payload_too_large',
        details: { limitBytes: 64 },
        recoverable: false,
      });
    });
  });
});

/**
 * `/api/workflows`: register (JSON or YAML body), list, get, delete and execute.
 *
 * Execute answers 202 `{"executionId"}`. With an `Idempotency-Key` header it starts at most one
 * run per key and workflow within the retention: a repeat answers 202 with the first run's id,
 * `"replayed": true` and `Idempotent-Replayed: true` (as webhooks do). Too many runs waiting:
 * 429 `queue_full` with `Retry-After`, and no run is created.
 * @module
 */
import { Hono } from 'hono';
import type { Stator } from '../runtime/index.ts';
import { dispatch } from '../commands/index.ts';
import { InvalidArgumentError } from '../errors.ts';
import { readDefinitionBody, readJsonBody } from './body.ts';
import { REPLAYED_HEADER } from './hook-routes.ts';

/** Request header of an idempotent execute. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

const EXECUTE_FIELDS = new Set(['input', 'executionId', 'priority']);

/** Checks the execute body: absent, or an object with only `input` and `executionId`. */
function executeBody(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw InvalidArgumentError.format([
      { path: '', message: 'the body must be a JSON object such as {"input": {...}}' },
    ]);
  }
  const unknown = Object.keys(body).filter((k) => !EXECUTE_FIELDS.has(k));
  if (unknown.length > 0) {
    throw InvalidArgumentError.format(
      unknown.map((k) => ({ path: k, message: 'unknown field; workflow inputs go under "input"' })),
    );
  }
  return body as Record<string, unknown>;
}

/** Routes under `/api/workflows`. */
export function workflowRoutes(stator: Stator): Hono {
  const app = new Hono();

  app.post('/', async (c) => {
    const record = await dispatch(stator, 'workflow.register', await readDefinitionBody(c));
    c.header('Location', `/api/workflows/${encodeURIComponent(record.id)}`);
    return c.json(record, 201);
  });

  app.get('/', async (c) => c.json(await dispatch(stator, 'workflow.list', c.req.query())));

  app.get('/:id', async (c) =>
    c.json(await dispatch(stator, 'workflow.get', { id: c.req.param('id') })),
  );

  app.delete('/:id', async (c) => {
    await dispatch(stator, 'workflow.delete', { id: c.req.param('id') });
    return c.body(null, 204);
  });

  app.post('/:id/execute', async (c) => {
    const body = executeBody(await readJsonBody(c));
    const idempotencyKey = c.req.header(IDEMPOTENCY_KEY_HEADER);
    const result = await dispatch(stator, 'workflow.execute', {
      ...body,
      workflowId: c.req.param('id'),
      ...(idempotencyKey !== undefined && { idempotencyKey }),
    });
    if (result.replayed) c.header(REPLAYED_HEADER, 'true');
    c.header('Location', `/api/executions/${encodeURIComponent(result.executionId)}`);
    return c.json(result, 202);
  });

  return app;
}

/**
 * `/api/triggers`: list (filter `workflowId`), get, pause, resume and fire. A fire answers 202
 * when it started or queued a run, 200 when the overlap policy skipped it.
 * @module
 */
import { Hono } from 'hono';
import type { Stator } from '../runtime/index.ts';
import { dispatch } from '../commands/index.ts';
import { InvalidArgumentError } from '../errors.ts';
import { readJsonBody } from './body.ts';

/** Checks the fire body: absent, or an object with only `input`. */
function fireBody(body: unknown): { input?: unknown } {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw InvalidArgumentError.format([
      { path: '', message: 'the body must be a JSON object such as {"input": {...}}' },
    ]);
  }
  const unknown = Object.keys(body).filter((k) => k !== 'input');
  if (unknown.length > 0) {
    throw InvalidArgumentError.format(
      unknown.map((k) => ({ path: k, message: 'unknown field; run inputs go under "input"' })),
    );
  }
  return body as { input?: unknown };
}

/** Routes under `/api/triggers`. */
export function triggerRoutes(stator: Stator): Hono {
  const app = new Hono();

  app.get('/', async (c) => c.json(await dispatch(stator, 'trigger.list', c.req.query())));

  app.get('/:id', async (c) =>
    c.json(await dispatch(stator, 'trigger.get', { id: c.req.param('id') })),
  );

  app.post('/:id/pause', async (c) =>
    c.json(await dispatch(stator, 'trigger.pause', { id: c.req.param('id') })),
  );

  app.post('/:id/resume', async (c) =>
    c.json(await dispatch(stator, 'trigger.resume', { id: c.req.param('id') })),
  );

  app.post('/:id/fire', async (c) => {
    const body = fireBody(await readJsonBody(c));
    const result = await dispatch(stator, 'trigger.fire', { ...body, id: c.req.param('id') });
    if (result.status === 'skipped') return c.json(result, 200);
    // A queued run has its id already but no record until it starts.
    if (result.status === 'started') {
      c.header('Location', `/api/executions/${encodeURIComponent(result.executionId)}`);
    }
    return c.json(result, 202);
  });

  return app;
}

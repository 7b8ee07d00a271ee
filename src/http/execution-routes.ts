/**
 * `/api/executions`: list with filters and paging, get, logs (text), cancel and retry.
 * @module
 */
import { Hono } from 'hono';
import type { Stator } from '../runtime/index.ts';
import { dispatch } from '../commands/index.ts';
import { REPLAYED_HEADER } from './hook-routes.ts';
import { IDEMPOTENCY_KEY_HEADER } from './workflow-routes.ts';

/** Routes under `/api/executions`. */
export function executionRoutes(stator: Stator): Hono {
  const app = new Hono();

  app.get('/', async (c) => c.json(await dispatch(stator, 'execution.list', c.req.query())));

  app.get('/:id', async (c) =>
    c.json(await dispatch(stator, 'execution.get', { id: c.req.param('id') })),
  );

  app.get('/:id/logs', async (c) => {
    const text = await dispatch(stator, 'execution.logs', {
      id: c.req.param('id'),
      stepId: c.req.query('stepId'),
    });
    return c.text(text);
  });

  app.post('/:id/cancel', async (c) =>
    c.json(await dispatch(stator, 'execution.cancel', { id: c.req.param('id') })),
  );

  // Retry: 202 {executionId, retryOf} of the new run; `from` and `definition` in the query.
  app.post('/:id/retry', async (c) => {
    const idempotencyKey = c.req.header(IDEMPOTENCY_KEY_HEADER);
    const result = await dispatch(stator, 'execution.retry', {
      ...c.req.query(),
      id: c.req.param('id'),
      ...(idempotencyKey !== undefined && { idempotencyKey }),
    });
    if (result.replayed) c.header(REPLAYED_HEADER, 'true');
    c.header('Location', `/api/executions/${encodeURIComponent(result.executionId)}`);
    return c.json(result, 202);
  });

  return app;
}

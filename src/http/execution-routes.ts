/**
 * `/api/executions`: list with filters and paging, get, logs (text) and cancel.
 * @module
 */
import { Hono } from 'hono';
import type { Stator } from '../runtime/index.ts';
import { dispatch } from '../commands/index.ts';

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

  return app;
}

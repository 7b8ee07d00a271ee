/**
 * `/health` (always open) and `/api/machines` (statecharts as JSON or Mermaid text).
 * @module
 */
import { Hono } from 'hono';
import type { Stator } from '../runtime/index.ts';
import { dispatch } from '../commands/index.ts';

/** `GET /health`: 200 while serving, 503 while degraded (see `problems`) or closing. */
export function healthRoutes(stator: Stator): Hono {
  const app = new Hono();
  app.get('/', async (c) => {
    const health = await dispatch(stator, 'health');
    return c.json(health, health.status === 'ok' ? 200 : 503);
  });
  return app;
}

/** Routes under `/api/machines`. */
export function machineRoutes(stator: Stator): Hono {
  const app = new Hono();

  app.get('/', async (c) => c.json(await dispatch(stator, 'machine.list')));

  app.get('/:name', async (c) => {
    const result = await dispatch(stator, 'machine.get', {
      name: c.req.param('name'),
      format: c.req.query('format'),
    });
    return typeof result === 'string' ? c.text(result) : c.json(result);
  });

  return app;
}

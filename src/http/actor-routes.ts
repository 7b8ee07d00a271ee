/**
 * `/api/actors`: every live actor (`?kind=` filters), and `/api/actors/:kind/:id`, one actor
 * with its context summary, children and last transitions. Any node answers for every node.
 * @module
 */
import { Hono } from 'hono';
import type { Stator } from '../runtime/index.ts';
import { dispatch } from '../commands/index.ts';

/** Routes under `/api/actors`. */
export function actorRoutes(stator: Stator): Hono {
  const app = new Hono();
  app.get('/', async (c) => c.json(await dispatch(stator, 'actor.list', c.req.query())));
  app.get('/:kind/:id', async (c) =>
    c.json(
      await dispatch(stator, 'actor.get', { kind: c.req.param('kind'), id: c.req.param('id') }),
    ),
  );
  return app;
}

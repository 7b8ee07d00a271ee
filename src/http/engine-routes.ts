/**
 * `/api/engines/:id`: get, pause, resume and drain an engine of any process of the cluster
 * (the process that receives the request asks the engine's holder).
 * @module
 */
import { Hono, type Context } from 'hono';
import type { Stator } from '../runtime/index.ts';
import { dispatch } from '../commands/index.ts';
import { httpClientId } from './client-id.ts';

/** Routes under `/api/engines`. */
export function engineRoutes(stator: Stator): Hono {
  const app = new Hono();
  const command =
    (name: 'engine.get' | 'engine.pause' | 'engine.resume' | 'engine.drain') =>
    async (c: Context) =>
      c.json(await dispatch(stator, name, { id: c.req.param('id') }, { client: httpClientId(c) }));

  app.get('/:id', command('engine.get'));
  app.post('/:id/pause', command('engine.pause'));
  app.post('/:id/resume', command('engine.resume'));
  app.post('/:id/drain', command('engine.drain'));
  return app;
}

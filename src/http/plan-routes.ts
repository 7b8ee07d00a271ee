/**
 * `POST /api/plans {workflowId | workflow, input?}`: the plan of a run before it runs (200;
 * `valid: false` and its errors for a bad definition or input; 422 for a body of the wrong
 * shape; the body limit and the input bounds bound huge documents).
 * @module
 */
import { Hono } from 'hono';
import type { Stator } from '../runtime/index.ts';
import { dispatch } from '../commands/index.ts';
import { readJsonBody } from './body.ts';
import { httpClientId } from './client-id.ts';

/** Routes under `/api/plans`. */
export function planRoutes(stator: Stator): Hono {
  const app = new Hono();
  app.post('/', async (c) =>
    c.json(
      await dispatch(stator, 'plan.create', (await readJsonBody(c)) ?? {}, {
        client: httpClientId(c),
      }),
    ),
  );
  return app;
}

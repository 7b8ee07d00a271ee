/**
 * `POST /api/executions/:id/pause | resume {by?}`: pause or resume one run (pause-commands.ts),
 * through `dispatch` with the caller's identity (they pass the rate limiter).
 * @module
 */
import { Hono } from 'hono';
import type { Stator } from '../runtime/index.ts';
import { dispatch } from '../commands/index.ts';
import { InvalidArgumentError } from '../errors.ts';
import { readJsonBody } from './body.ts';
import { httpClientId } from './client-id.ts';

/** `POST /:id/pause` and `POST /:id/resume`, mounted under `/api/executions`. */
export function pauseRoutes(stator: Stator): Hono {
  const app = new Hono();
  for (const name of ['pause', 'resume'] as const) {
    app.post(`/:id/${name}`, async (c) => {
      const body = (await readJsonBody(c)) ?? {};
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw InvalidArgumentError.format([
          { path: '', message: 'the body must be a JSON object such as {"by": "alice"}' },
        ]);
      }
      const input = { ...(body as Record<string, unknown>), id: c.req.param('id') };
      return c.json(
        await dispatch(stator, `execution.${name}`, input, { client: httpClientId(c) }),
      );
    });
  }
  return app;
}

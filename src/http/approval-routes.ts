/**
 * Approvals over HTTP: `POST /api/executions/:id/approve | reject {stepId?, by?, comment?}`,
 * `GET /api/approvals` (what waits for a person, oldest first) and `GET /api/next-actionable`
 * (the oldest session awaiting input or approval). Each runs its command through `dispatch`
 * with the caller's identity (decisions pass the rate limiter).
 * @module
 */
import { Hono, type Context } from 'hono';
import type { Stator } from '../runtime/index.ts';
import { dispatch } from '../commands/index.ts';
import { InvalidArgumentError } from '../errors.ts';
import { readJsonBody } from './body.ts';
import { httpClientId } from './client-id.ts';

/** A decision body: a JSON object (absent means `{}`). */
async function decisionBody(c: Context): Promise<Record<string, unknown>> {
  const body = await readJsonBody(c);
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw InvalidArgumentError.format([
      {
        path: '',
        message: 'the body must be a JSON object such as {"by": "alice", "comment": "..."}',
      },
    ]);
  }
  return body as Record<string, unknown>;
}

/** `POST /:id/approve` and `POST /:id/reject`, mounted under `/api/executions`. */
export function decisionRoutes(stator: Stator): Hono {
  const app = new Hono();
  for (const [path, name] of [
    ['approve', 'execution.approve'],
    ['reject', 'execution.reject'],
  ] as const) {
    app.post(`/:id/${path}`, async (c) => {
      const body = await decisionBody(c);
      const input = { ...body, id: c.req.param('id') };
      return c.json(await dispatch(stator, name, input, { client: httpClientId(c) }));
    });
  }
  return app;
}

/** `GET /api/approvals`. */
export function approvalRoutes(stator: Stator): Hono {
  const app = new Hono();
  app.get('/', async (c) => c.json(await dispatch(stator, 'approval.list', c.req.query())));
  return app;
}

/** `GET /api/next-actionable`. */
export function nextActionableRoutes(stator: Stator): Hono {
  const app = new Hono();
  app.get('/', async (c) => c.json(await dispatch(stator, 'next-actionable', {})));
  return app;
}

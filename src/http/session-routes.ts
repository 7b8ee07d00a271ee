/**
 * `/api/sessions`: create (JSON or YAML body), list, next-actionable, get, update, delete,
 * start, stop, restart, input, preferences, health and logs (text, or followed). Every route
 * runs its command through `dispatch` with the caller's identity, so the commands that change
 * state pass the same rate limiter as on `stator.api.session.*` (429 `rate_limited`).
 * @module
 */
import { Hono, type Context } from 'hono';
import type { Stator } from '../runtime/index.ts';
import { dispatch } from '../commands/index.ts';
import { InvalidArgumentError } from '../errors.ts';
import { readDefinitionBody, readJsonBody } from './body.ts';
import { httpClientId } from './client-id.ts';
import { followSessionLogs, formatSessionLine, type FollowLogsOptions } from './session-logs.ts';

/** Options of the session routes. */
export type SessionRouteOptions = FollowLogsOptions;

/** A JSON body that must be an object (absent means `{}`). */
async function objectBody(c: Context, example: string): Promise<Record<string, unknown>> {
  const body = await readJsonBody(c);
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw InvalidArgumentError.format([
      { path: '', message: `the body must be a JSON object such as ${example}` },
    ]);
  }
  return body as Record<string, unknown>;
}

const isTrue = (v: string | undefined): boolean => v === '1' || v === 'true' || v === '';

/** Routes under `/api/sessions`. */
export function sessionRoutes(stator: Stator, opts: SessionRouteOptions = {}): Hono {
  const app = new Hono();
  const ctx = (c: Context) => ({ client: httpClientId(c) });
  const idCommand =
    (name: 'session.start' | 'session.stop' | 'session.restart') => async (c: Context) =>
      c.json(await dispatch(stator, name, { id: c.req.param('id') }, ctx(c)));

  app.post('/', async (c) => {
    const view = await dispatch(stator, 'session.create', await readDefinitionBody(c), ctx(c));
    c.header('Location', `/api/sessions/${encodeURIComponent(view.id)}`);
    return c.json(view, 201);
  });

  app.get('/', async (c) => c.json(await dispatch(stator, 'session.list', c.req.query())));

  // Before `/:id`, which would take `next-actionable` for an id.
  app.get('/next-actionable', async (c) =>
    c.json(await dispatch(stator, 'session.next-actionable', {})),
  );

  app.get('/:id', async (c) =>
    c.json(await dispatch(stator, 'session.get', { id: c.req.param('id') })),
  );

  app.patch('/:id', async (c) => {
    const body = await objectBody(c, '{"name": "...", "tags": [...], "preferences": {...}}');
    return c.json(
      await dispatch(stator, 'session.update', { ...body, id: c.req.param('id') }, ctx(c)),
    );
  });

  app.delete('/:id', async (c) => {
    await dispatch(stator, 'session.delete', { id: c.req.param('id') }, ctx(c));
    return c.body(null, 204);
  });

  app.post('/:id/start', idCommand('session.start'));
  app.post('/:id/stop', idCommand('session.stop'));
  app.post('/:id/restart', idCommand('session.restart'));

  app.post('/:id/input', async (c) => {
    const body = await objectBody(c, '{"text": "...", "newline": true}');
    return c.json(
      await dispatch(stator, 'session.input', { ...body, id: c.req.param('id') }, ctx(c)),
    );
  });

  app.put('/:id/preferences/:key', async (c) => {
    const body = await objectBody(c, '{"value": ...}');
    if (body.value === undefined) {
      throw InvalidArgumentError.format([
        { path: 'value', message: 'is required (DELETE removes a preference)' },
      ]);
    }
    const input = { id: c.req.param('id'), key: c.req.param('key'), value: body.value };
    return c.json(await dispatch(stator, 'session.set-preference', input, ctx(c)));
  });

  app.delete('/:id/preferences/:key', async (c) => {
    const input = { id: c.req.param('id'), key: c.req.param('key') };
    return c.json(await dispatch(stator, 'session.set-preference', input, ctx(c)));
  });

  app.get('/:id/health', async (c) =>
    c.json(await dispatch(stator, 'session.health-check', { id: c.req.param('id') })),
  );

  app.get('/:id/logs', async (c) => {
    const id = c.req.param('id');
    const { since, limit, follow, format } = c.req.query();
    const { items } = await dispatch(stator, 'session.logs', { id, since, limit });
    if (follow !== undefined && isTrue(follow)) {
      return followSessionLogs(
        c,
        stator,
        id,
        items,
        since === undefined ? undefined : Number(since),
        opts,
      );
    }
    if (format === 'json') return c.json({ items });
    return c.text(items.map(formatSessionLine).join(''));
  });

  return app;
}

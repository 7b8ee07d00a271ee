/**
 * `GET /metrics` (Prometheus text format 0.0.4) and `GET /api/statistics?window=1h&workflowId=`.
 * `/metrics` sits outside `/api` so scrapers find it where they expect it; it still needs the
 * API token when one is set (Prometheus sends it with `authorization.credentials`), because
 * workflow ids and error counts are not for everyone.
 * @module
 */
import { Hono } from 'hono';
import type { Stator } from '../runtime/index.ts';
import { dispatch } from '../commands/index.ts';

/** The content type of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Routes under `/metrics`. */
export function metricsRoutes(stator: Stator): Hono {
  const app = new Hono();
  app.get('/', async (c) => {
    const text = await dispatch(stator, 'metrics');
    return c.body(text, 200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
  });
  return app;
}

/** Routes under `/api/statistics`. */
export function statisticsRoutes(stator: Stator): Hono {
  const app = new Hono();
  app.get('/', async (c) => c.json(await dispatch(stator, 'statistics', c.req.query())));
  return app;
}

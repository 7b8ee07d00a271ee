/**
 * `POST /hooks/<path>`: webhook triggers. These routes do not take the API token: a hook with
 * a secret is authenticated by `X-Stator-Timestamp` (unix seconds) and `X-Stator-Signature:
 * sha256=<hex HMAC of "<timestamp>.<raw body>">`, each signature accepted once (401 with
 * `details.reason` otherwise; 503 when the secret's variable is unset), and a hook without one
 * is open on purpose, like any public webhook URL. The body limit of the API applies. Answers
 * 202 `{"executionId"}`; a repeated `Idempotency-Key` answers 202 with the first run's id and
 * `Idempotent-Replayed: true`.
 * @module
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Stator } from '../runtime/index.ts';
import { PayloadTooLargeError } from '../errors.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../triggers/index.ts';
import { errorResponse } from './error-response.ts';

/** Settings of the hook routes. */
export interface HookRouteOptions {
  bodyLimitBytes: number;
}

/** Response header set on a replayed idempotent call. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** Routes under `/hooks`. */
export function hookRoutes(stator: Stator, opts: HookRouteOptions): Hono {
  const app = new Hono();

  app.use(
    '*',
    bodyLimit({
      maxSize: opts.bodyLimitBytes,
      onError: (c) => errorResponse(c, new PayloadTooLargeError(opts.bodyLimitBytes)),
    }),
  );

  app.post('/:path{.+}', async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const signature = c.req.header(SIGNATURE_HEADER);
    const timestamp = c.req.header(TIMESTAMP_HEADER);
    const idempotencyKey = c.req.header('idempotency-key');
    const result = await stator.webhook({
      path: c.req.param('path'),
      body,
      ...(timestamp !== undefined && { timestamp }),
      ...(signature !== undefined && { signature }),
      ...(idempotencyKey !== undefined && { idempotencyKey }),
    });
    if (result.replayed) c.header(REPLAYED_HEADER, 'true');
    c.header('Location', `/api/executions/${encodeURIComponent(result.executionId)}`);
    return c.json({ executionId: result.executionId }, 202);
  });

  return app;
}

/**
 * The Hono app of the HTTP front door. Routes decode requests into commands and pass them to
 * the command layer's `dispatch`; errors leave through one `onError` and one `notFound`.
 * @module
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { PayloadTooLargeError } from '../errors.ts';
import { requireBearerToken } from './auth.ts';
import { jsonBodyBounds } from './body-bounds.ts';
import { createErrorHandler, errorResponse, notFoundHandler } from './error-response.ts';
import { resolveHttpAppOptions, type HttpAppOptions } from './options.ts';
import { workflowRoutes } from './workflow-routes.ts';
import { approvalRoutes, decisionRoutes, nextActionableRoutes } from './approval-routes.ts';
import { pauseRoutes } from './pause-routes.ts';
import { planRoutes } from './plan-routes.ts';
import { executionRoutes } from './execution-routes.ts';
import { artifactRoutes } from './artifact-routes.ts';
import { eventRoutes } from './event-routes.ts';
import { mountWebSocketRoute } from './ws-routes.ts';
import { healthRoutes, machineRoutes } from './system-routes.ts';
import { hookRoutes } from './hook-routes.ts';
import { triggerRoutes } from './trigger-routes.ts';
import { metricsRoutes, statisticsRoutes } from './metrics-routes.ts';
import { sessionRoutes } from './session-routes.ts';
import { engineRoutes } from './engine-routes.ts';
import { actorRoutes } from './actor-routes.ts';
import { dashboardRoutes } from './dashboard-routes.ts';
import { openApiDocument } from './openapi/openapi-document.ts';
import { STATOR_VERSION } from '../version.ts';

/** Builds the HTTP app over a Stator service. Serve it with `startHttpServer()` or `app.request()`. */
export function createHttpApp(options: HttpAppOptions): Hono {
  const opts = resolveHttpAppOptions(options);
  const { stator } = opts;
  const logger = opts.logger?.child({ component: 'http' });
  const app = new Hono();

  app.onError(createErrorHandler(logger));
  app.notFound(notFoundHandler);

  if (logger) {
    app.use('*', async function requestLog(c, next) {
      const started = performance.now();
      await next();
      const ms = Math.round((performance.now() - started) * 10) / 10;
      logger.debug({ method: c.req.method, path: c.req.path, status: c.res.status, ms }, 'request');
    });
  }

  // Browsers cannot set headers on EventSource or WebSocket: those two also take `?token=`.
  const streamAuth = { queryTokenPaths: ['/api/events', '/api/events/', '/ws'] };
  if (opts.apiToken !== undefined) {
    app.use('/api/*', requireBearerToken(opts.apiToken, streamAuth));
    app.use('/ws', requireBearerToken(opts.apiToken, streamAuth));
  }
  // /metrics takes the API token too; /hooks/* do not (signed by their own secret, hook-routes.ts).
  if (opts.apiToken !== undefined) app.use('/metrics', requireBearerToken(opts.apiToken));
  const limitBody = bodyLimit({
    maxSize: opts.bodyLimitBytes,
    onError: (c) => errorResponse(c, new PayloadTooLargeError(opts.bodyLimitBytes)),
  });
  app.use('/api/*', limitBody);
  // Webhook bodies are JSON whatever their type, parsed by the trigger layer: bounded here.
  app.use('/hooks/*', limitBody, jsonBodyBounds());

  app.get('/api/openapi.json', (c) => c.json(openApiDocument(STATOR_VERSION)));
  app.route('/health', healthRoutes(stator));
  app.route('/api/workflows', workflowRoutes(stator));
  app.route('/api/plans', planRoutes(stator));
  app.route('/api/executions', executionRoutes(stator));
  app.route('/api/executions', decisionRoutes(stator));
  app.route('/api/executions', pauseRoutes(stator));
  app.route('/api/executions', artifactRoutes(stator));
  app.route('/api/approvals', approvalRoutes(stator));
  app.route('/api/next-actionable', nextActionableRoutes(stator));
  app.route('/api/machines', machineRoutes(stator));
  app.route('/api/triggers', triggerRoutes(stator));
  app.route('/api/sessions', sessionRoutes(stator));
  app.route('/api/engines', engineRoutes(stator));
  app.route('/api/actors', actorRoutes(stator));
  app.route('/api/statistics', statisticsRoutes(stator));
  app.route('/metrics', metricsRoutes(stator));
  app.route('/hooks', hookRoutes(stator, { bodyLimitBytes: opts.bodyLimitBytes }));
  app.route(
    '/api/events',
    eventRoutes(stator, {
      heartbeatMs: opts.sseHeartbeatMs,
      bufferSize: opts.sseBufferSize,
      ...(logger ? { logger } : {}),
    }),
  );
  mountWebSocketRoute(app, stator, { bufferSize: opts.sseBufferSize, logger });
  app.route('/', dashboardRoutes());

  return app;
}

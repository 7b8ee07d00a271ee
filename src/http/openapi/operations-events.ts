/**
 * Events in and out: the server-sent event stream, the WebSocket, and the webhooks that start
 * runs.
 * @module
 */
import { get, header, json, none, post, query, sse, type ApiOperation } from './api-operation.ts';

/** The event stream, WebSocket and webhook operations, in document order. */
export const EVENT_OPERATIONS: readonly ApiOperation[] = [
  get('/api/events', 'events', 'Server-sent events, filtered, resumable with Last-Event-ID', {
    extraQuery: [
      query('executionId', 'only this run', { type: 'string' }),
      query('workflowId', 'only this workflow', { type: 'string' }),
      query('kind', 'only this kind of actor', { type: 'string' }),
      query('id', 'only this actor', { type: 'string' }),
      query('type', "an event type, or a prefix such as 'step.'", { type: 'string' }),
      query('severity', 'at least this severity', {
        type: 'string',
        enum: ['info', 'warning', 'error', 'critical'],
      }),
      query('lastEventId', 'resume after this sequence (as the Last-Event-ID header)', {
        type: 'integer',
        minimum: 0,
      }),
      query('token', 'the API token, for EventSource which cannot set headers', {
        type: 'string',
      }),
    ],
    headers: [header('Last-Event-ID', 'resume after this sequence')],
    ok: sse(200, 'an event stream'),
  }),
  get('/ws', 'events', 'WebSocket: subscribe, unsubscribe and commands over one connection', {
    extraQuery: [query('token', 'the API token', { type: 'string' })],
    ok: none(101, 'switching protocols'),
  }),
  post(
    '/hooks/{path}',
    'webhooks',
    "A workflow's HTTP trigger (signed by its own secret, not the API token)",
    {
      body: 'webhook',
      headers: [
        header(
          'X-Stator-Signature',
          'sha256=<hex HMAC of timestamp.body> when the trigger has a secret',
        ),
        header('X-Stator-Timestamp', 'seconds since the epoch, signed with the body'),
        header('Idempotency-Key', 'at most one run per key'),
      ],
      ok: json(202, '{executionId}'),
    },
  ),
];

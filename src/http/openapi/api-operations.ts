/**
 * Every operation of the HTTP API, as the OpenAPI document describes it: method, path, the
 * command whose zod input schema gives its parameters and body, and its answers. The routes
 * themselves live in the `*-routes.ts` files; a test holds the two together (every route here,
 * nothing here that is not a route).
 * @module
 */
import type { CommandName } from '../../commands/index.ts';

/** What an answer carries. */
export type ContentKind = 'json' | 'text' | 'html' | 'sse' | 'binary' | 'none';

/** Where a command's non-path fields come from on this route. */
export type InputPlace = 'query' | 'body';

/** A special request body that is not the command's schema. */
export type SpecialBody = 'workflow' | 'session' | 'webhook';

/** One operation of the HTTP API. */
export interface ApiOperation {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path template: `/api/executions/{id}`. */
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  /** The command behind it; its input schema gives the parameters. */
  readonly command?: CommandName;
  /** Where the command's fields that are not path parameters come from. @default 'query' */
  readonly input?: InputPlace;
  /** Path parameters named otherwise in the command's input: `{id: 'workflowId'}`. */
  readonly pathFields?: Readonly<Record<string, string>>;
  /** Command fields this route does not take from the query or body (set by the route). */
  readonly omit?: readonly string[];
  /** Query parameters outside the command's schema (streaming flags, formats). */
  readonly extraQuery?: readonly { name: string; description: string; schema: object }[];
  readonly headers?: readonly { name: string; description: string }[];
  readonly body?: SpecialBody;
  readonly success: { status: number; description: string; content: ContentKind };
}

/** The operations, grouped by resource. */
export const API_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'get',
    path: '/health',
    tag: 'system',
    summary: 'Health of the service: 200 ok, 503 degraded with its problems',
    command: 'health',
    success: {
      status: 200,
      description: 'healthy (503 with the same shape when degraded)',
      content: 'json',
    },
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'system',
    summary: 'Prometheus metrics',
    command: 'metrics',
    success: { status: 200, description: 'Prometheus text exposition', content: 'text' },
  },
  {
    method: 'get',
    path: '/',
    tag: 'dashboard',
    summary: 'The dashboard (a single page; its API calls take the token)',
    success: { status: 200, description: 'the page', content: 'html' },
  },
  {
    method: 'get',
    path: '/assets/{name}',
    tag: 'dashboard',
    summary: "The dashboard's bundled files (content-hashed names, cached for a year)",
    success: { status: 200, description: 'JavaScript, CSS or a source map', content: 'none' },
  },
  {
    method: 'get',
    path: '/api/openapi.json',
    tag: 'system',
    summary: 'This document',
    success: { status: 200, description: 'the OpenAPI 3.1 document', content: 'json' },
  },
  {
    method: 'get',
    path: '/api/statistics',
    tag: 'system',
    summary: 'Run statistics over a window',
    command: 'statistics',
    success: { status: 200, description: 'statistics', content: 'json' },
  },
  {
    method: 'get',
    path: '/api/machines',
    tag: 'machines',
    summary: 'The statecharts Stator runs',
    command: 'machine.list',
    success: { status: 200, description: 'every machine', content: 'json' },
  },
  {
    method: 'get',
    path: '/api/machines/{name}',
    tag: 'machines',
    summary: 'One statechart, as JSON or Mermaid',
    command: 'machine.get',
    success: {
      status: 200,
      description: 'the machine (text/plain for format=mermaid)',
      content: 'json',
    },
  },

  {
    method: 'post',
    path: '/api/workflows',
    tag: 'workflows',
    summary: 'Register (or replace) a workflow, JSON or YAML',
    command: 'workflow.register',
    body: 'workflow',
    success: { status: 201, description: 'the stored workflow', content: 'json' },
  },
  {
    method: 'get',
    path: '/api/workflows',
    tag: 'workflows',
    summary: 'List workflows',
    command: 'workflow.list',
    success: { status: 200, description: 'a page of workflows', content: 'json' },
  },
  {
    method: 'get',
    path: '/api/workflows/{id}',
    tag: 'workflows',
    summary: 'Get a workflow',
    command: 'workflow.get',
    success: { status: 200, description: 'the workflow', content: 'json' },
  },
  {
    method: 'delete',
    path: '/api/workflows/{id}',
    tag: 'workflows',
    summary: 'Delete a workflow',
    command: 'workflow.delete',
    success: { status: 204, description: 'deleted', content: 'none' },
  },
  {
    method: 'post',
    path: '/api/workflows/{id}/execute',
    tag: 'workflows',
    summary: 'Start a run',
    command: 'workflow.execute',
    pathFields: { id: 'workflowId' },
    input: 'body',
    omit: ['idempotencyKey'],
    headers: [
      {
        name: 'Idempotency-Key',
        description:
          'at most one run per key and workflow within the retention; a repeat answers the first run with Idempotent-Replayed: true',
      },
    ],
    success: {
      status: 202,
      description:
        '{executionId} of the accepted run (429 queue_full and 503 shutting_down carry Retry-After)',
      content: 'json',
    },
  },

  {
    method: 'get',
    path: '/api/executions',
    tag: 'executions',
    summary: 'List runs, newest first',
    command: 'execution.list',
    success: { status: 200, description: 'a page of runs', content: 'json' },
  },
  {
    method: 'get',
    path: '/api/executions/{id}',
    tag: 'executions',
    summary: 'A run with its steps',
    command: 'execution.get',
    success: { status: 200, description: 'the run', content: 'json' },
  },
  {
    method: 'get',
    path: '/api/executions/{id}/logs',
    tag: 'executions',
    summary: "A run's output, one line per record",
    command: 'execution.logs',
    success: { status: 200, description: 'the logs as text', content: 'text' },
  },
  {
    method: 'get',
    path: '/api/executions/{id}/artifacts',
    tag: 'executions',
    summary: "The files a run's steps kept as artifacts (name, size, sha256) and refused (reason)",
    command: 'execution.artifacts',
    success: {
      status: 200,
      description: '{artifacts: [{stepId, name, size, sha256?, refused?}]}',
      content: 'json',
    },
  },
  {
    method: 'get',
    path: '/api/executions/{id}/artifacts/{name}',
    tag: 'executions',
    summary:
      "One kept artifact's bytes; name is <stepId>/<path> as listed (its '/' plain or %2F); 404 when the run does not list it as kept (a name with '..' never is)",
    success: {
      status: 200,
      description: 'the file (application/octet-stream, attachment)',
      content: 'binary',
    },
  },
  {
    method: 'post',
    path: '/api/executions/{id}/cancel',
    tag: 'executions',
    summary: 'Cancel a run (its processes are killed)',
    command: 'execution.cancel',
    success: { status: 200, description: 'the run as cancelled', content: 'json' },
  },
  {
    method: 'post',
    path: '/api/plans',
    tag: 'plans',
    summary:
      'Plan a run without starting it: every error, parallel levels, critical path, duration estimates from history and safety findings',
    command: 'plan.create',
    input: 'body',
    success: {
      status: 200,
      description:
        '{valid, errors, workflowId, levels, criticalPath, criticalPathMs, steps, findings} (valid false with every error for a bad definition or input; 404 for an unknown workflowId)',
      content: 'json',
    },
  },
  {
    method: 'post',
    path: '/api/executions/{id}/pause',
    tag: 'executions',
    summary:
      'Pause a run: no new step starts, running steps finish; stored before the answer (a paused run answers unchanged)',
    command: 'execution.pause',
    input: 'body',
    success: {
      status: 200,
      description:
        'the run, status unchanged, with paused: {at, by, reason, stepId} (409 conflict: already finished)',
      content: 'json',
    },
  },
  {
    method: 'post',
    path: '/api/executions/{id}/resume',
    tag: 'executions',
    summary: 'Resume a paused run: ready steps start (a run not paused answers unchanged)',
    command: 'execution.resume',
    input: 'body',
    success: {
      status: 200,
      description: 'the run, without paused (409 conflict: already finished)',
      content: 'json',
    },
  },
  {
    method: 'post',
    path: '/api/executions/{id}/approve',
    tag: 'approvals',
    summary:
      'Approve the waiting approval step of a run (stepId when several wait); the decision is stored before the answer',
    command: 'execution.approve',
    input: 'body',
    success: {
      status: 200,
      description:
        '{executionId, workflowId, stepId, attempt, approved, by, at, comment} (409 conflict: not waiting, or already decided, with who decided; 403 forbidden: by is not an approver)',
      content: 'json',
    },
  },
  {
    method: 'post',
    path: '/api/executions/{id}/reject',
    tag: 'approvals',
    summary: 'Reject the waiting approval step of a run: the step fails (and the run, per needs)',
    command: 'execution.reject',
    input: 'body',
    success: {
      status: 200,
      description:
        '{executionId, workflowId, stepId, attempt, approved: false, by, at, comment} (409, 403 as approve)',
      content: 'json',
    },
  },
  {
    method: 'get',
    path: '/api/approvals',
    tag: 'approvals',
    summary: 'Approval steps waiting for a person, oldest first (limit: default 100)',
    command: 'approval.list',
    success: {
      status: 200,
      description:
        '{items: [{executionId, workflowId, stepId, attempt, message, approvers, since, deadline}]}',
      content: 'json',
    },
  },
  {
    method: 'get',
    path: '/api/next-actionable',
    tag: 'approvals',
    summary: 'The oldest thing waiting for a person: a session awaiting input or an approval',
    command: 'next-actionable',
    success: {
      status: 200,
      description:
        "{kind: 'session', since, session} or {kind: 'approval', since, approval} (404 when nothing waits)",
      content: 'json',
    },
  },
  {
    method: 'post',
    path: '/api/executions/{id}/retry',
    tag: 'executions',
    summary:
      'Re-run a failed, cancelled or timed-out run from its failure (any finished run with from): a new run linked by retryOf, its succeeded steps kept (reused), not run again',
    command: 'execution.retry',
    omit: ['idempotencyKey'],
    headers: [
      {
        name: 'Idempotency-Key',
        description:
          'at most one retry run per key and retried run within the retention; a repeat answers the first with Idempotent-Replayed: true',
      },
    ],
    success: {
      status: 202,
      description:
        '{executionId, retryOf} of the new run (409 conflict: the run is not finished, or completed without from; 422: unknown from)',
      content: 'json',
    },
  },

  {
    method: 'get',
    path: '/api/triggers',
    tag: 'triggers',
    summary: 'List triggers',
    command: 'trigger.list',
    success: { status: 200, description: 'the triggers', content: 'json' },
  },
  {
    method: 'get',
    path: '/api/triggers/{id}',
    tag: 'triggers',
    summary: 'A trigger with its next fire',
    command: 'trigger.get',
    success: { status: 200, description: 'the trigger', content: 'json' },
  },
  {
    method: 'post',
    path: '/api/triggers/{id}/pause',
    tag: 'triggers',
    summary: 'Pause a trigger (stored)',
    command: 'trigger.pause',
    success: { status: 200, description: 'the trigger', content: 'json' },
  },
  {
    method: 'post',
    path: '/api/triggers/{id}/resume',
    tag: 'triggers',
    summary: 'Resume a trigger',
    command: 'trigger.resume',
    success: { status: 200, description: 'the trigger', content: 'json' },
  },
  {
    method: 'post',
    path: '/api/triggers/{id}/fire',
    tag: 'triggers',
    summary: 'Fire a trigger now',
    command: 'trigger.fire',
    input: 'body',
    success: {
      status: 202,
      description:
        '{status: started|queued, executionId}; 200 {status: skipped, reason} under the overlap policy',
      content: 'json',
    },
  },

  {
    method: 'post',
    path: '/api/sessions',
    tag: 'sessions',
    summary: 'Create a session, JSON or YAML',
    command: 'session.create',
    body: 'session',
    success: { status: 201, description: 'the session', content: 'json' },
  },
  {
    method: 'get',
    path: '/api/sessions',
    tag: 'sessions',
    summary: 'List sessions',
    command: 'session.list',
    success: { status: 200, description: 'a page of sessions', content: 'json' },
  },
  {
    method: 'get',
    path: '/api/sessions/next-actionable',
    tag: 'sessions',
    summary: 'The session that needs a person first',
    command: 'session.next-actionable',
    success: { status: 200, description: 'the session, or null', content: 'json' },
  },
  {
    method: 'get',
    path: '/api/sessions/{id}',
    tag: 'sessions',
    summary: 'A session',
    command: 'session.get',
    success: { status: 200, description: 'the session', content: 'json' },
  },
  {
    method: 'patch',
    path: '/api/sessions/{id}',
    tag: 'sessions',
    summary: 'Rename, retag or set preferences',
    command: 'session.update',
    input: 'body',
    success: { status: 200, description: 'the session', content: 'json' },
  },
  {
    method: 'delete',
    path: '/api/sessions/{id}',
    tag: 'sessions',
    summary: 'Stop and delete a session',
    command: 'session.delete',
    success: { status: 204, description: 'deleted', content: 'none' },
  },
  {
    method: 'post',
    path: '/api/sessions/{id}/start',
    tag: 'sessions',
    summary: 'Start a session',
    command: 'session.start',
    success: { status: 200, description: 'the session', content: 'json' },
  },
  {
    method: 'post',
    path: '/api/sessions/{id}/stop',
    tag: 'sessions',
    summary: 'Stop a session',
    command: 'session.stop',
    success: { status: 200, description: 'the session', content: 'json' },
  },
  {
    method: 'post',
    path: '/api/sessions/{id}/restart',
    tag: 'sessions',
    summary: 'Restart a session',
    command: 'session.restart',
    success: { status: 200, description: 'the session', content: 'json' },
  },
  {
    method: 'post',
    path: '/api/sessions/{id}/input',
    tag: 'sessions',
    summary: "Write to a session's stdin",
    command: 'session.input',
    input: 'body',
    success: { status: 200, description: 'bytes written', content: 'json' },
  },
  {
    method: 'put',
    path: '/api/sessions/{id}/preferences/{key}',
    tag: 'sessions',
    summary: 'Set one preference',
    command: 'session.set-preference',
    input: 'body',
    success: { status: 200, description: 'the session', content: 'json' },
  },
  {
    method: 'delete',
    path: '/api/sessions/{id}/preferences/{key}',
    tag: 'sessions',
    summary: 'Remove one preference',
    command: 'session.set-preference',
    input: 'body',
    omit: ['value'],
    success: { status: 200, description: 'the session', content: 'json' },
  },
  {
    method: 'get',
    path: '/api/sessions/{id}/health',
    tag: 'sessions',
    summary: "A session's health check",
    command: 'session.health-check',
    success: { status: 200, description: 'the check', content: 'json' },
  },
  {
    method: 'get',
    path: '/api/sessions/{id}/logs',
    tag: 'sessions',
    summary: "A session's output: text, JSON, or followed as server-sent events",
    command: 'session.logs',
    extraQuery: [
      {
        name: 'follow',
        description: 'keep the response open and send new lines as events',
        schema: { type: 'boolean' },
      },
      {
        name: 'format',
        description: "'json' for {items}; text otherwise",
        schema: { type: 'string', enum: ['json', 'text'] },
      },
    ],
    success: { status: 200, description: 'the lines', content: 'text' },
  },

  {
    method: 'get',
    path: '/api/engines/{id}',
    tag: 'engines',
    summary: 'An engine, on any node',
    command: 'engine.get',
    success: { status: 200, description: 'the engine', content: 'json' },
  },
  {
    method: 'post',
    path: '/api/engines/{id}/pause',
    tag: 'engines',
    summary: 'Stop taking new runs',
    command: 'engine.pause',
    success: { status: 200, description: 'the engine', content: 'json' },
  },
  {
    method: 'post',
    path: '/api/engines/{id}/resume',
    tag: 'engines',
    summary: 'Take runs again',
    command: 'engine.resume',
    success: { status: 200, description: 'the engine', content: 'json' },
  },
  {
    method: 'post',
    path: '/api/engines/{id}/drain',
    tag: 'engines',
    summary: 'Finish running work, take no more',
    command: 'engine.drain',
    success: { status: 200, description: 'the engine', content: 'json' },
  },

  {
    method: 'get',
    path: '/api/actors',
    tag: 'actors',
    summary: 'Every live actor of the service, on every node',
    command: 'actor.list',
    success: {
      status: 200,
      description: '{items: [{kind, id, parent, node, machine, status, value, updatedAt}]}',
      content: 'json',
    },
  },
  {
    method: 'get',
    path: '/api/actors/{kind}/{id}',
    tag: 'actors',
    summary: 'One live actor: state, context summary, children, last transitions',
    command: 'actor.get',
    success: { status: 200, description: 'the actor', content: 'json' },
  },
  {
    method: 'get',
    path: '/api/events',
    tag: 'events',
    summary: 'Server-sent events, filtered, resumable with Last-Event-ID',
    extraQuery: [
      { name: 'executionId', description: 'only this run', schema: { type: 'string' } },
      { name: 'workflowId', description: 'only this workflow', schema: { type: 'string' } },
      { name: 'kind', description: 'only this kind of actor', schema: { type: 'string' } },
      { name: 'id', description: 'only this actor', schema: { type: 'string' } },
      {
        name: 'type',
        description: "an event type, or a prefix such as 'step.'",
        schema: { type: 'string' },
      },
      {
        name: 'severity',
        description: 'at least this severity',
        schema: { type: 'string', enum: ['info', 'warning', 'error', 'critical'] },
      },
      {
        name: 'lastEventId',
        description: 'resume after this sequence (as the Last-Event-ID header)',
        schema: { type: 'integer', minimum: 0 },
      },
      {
        name: 'token',
        description: 'the API token, for EventSource which cannot set headers',
        schema: { type: 'string' },
      },
    ],
    headers: [{ name: 'Last-Event-ID', description: 'resume after this sequence' }],
    success: { status: 200, description: 'an event stream', content: 'sse' },
  },
  {
    method: 'get',
    path: '/ws',
    tag: 'events',
    summary: 'WebSocket: subscribe, unsubscribe and commands over one connection',
    extraQuery: [{ name: 'token', description: 'the API token', schema: { type: 'string' } }],
    success: { status: 101, description: 'switching protocols', content: 'none' },
  },
  {
    method: 'post',
    path: '/hooks/{path}',
    tag: 'webhooks',
    summary: "A workflow's HTTP trigger (signed by its own secret, not the API token)",
    body: 'webhook',
    headers: [
      {
        name: 'X-Stator-Signature',
        description: 'sha256=<hex HMAC of timestamp.body> when the trigger has a secret',
      },
      { name: 'X-Stator-Timestamp', description: 'seconds since the epoch, signed with the body' },
      { name: 'Idempotency-Key', description: 'at most one run per key' },
    ],
    success: { status: 202, description: '{executionId}', content: 'json' },
  },
];

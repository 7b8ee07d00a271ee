/**
 * Run operations: list and inspect runs, their logs and artifacts, cancel, pause, resume and
 * retry them; plan a run without starting it; decide the approval steps waiting for a person.
 * @module
 */
import { binary, get, header, json, post, text, type ApiOperation } from './api-operation.ts';

/** The run, plan and approval operations, in document order. */
export const EXECUTION_OPERATIONS: readonly ApiOperation[] = [
  get('/api/executions', 'executions', 'List runs, newest first', {
    command: 'execution.list',
    ok: json(200, 'a page of runs'),
  }),
  get('/api/executions/{id}', 'executions', 'A run with its steps', {
    command: 'execution.get',
    ok: json(200, 'the run'),
  }),
  get('/api/executions/{id}/logs', 'executions', "A run's output, one line per record", {
    command: 'execution.logs',
    ok: text(200, 'the logs as text'),
  }),
  get(
    '/api/executions/{id}/artifacts',
    'executions',
    "The files a run's steps kept as artifacts (name, size, sha256) and refused (reason)",
    {
      command: 'execution.artifacts',
      ok: json(200, '{artifacts: [{stepId, name, size, sha256?, refused?}]}'),
    },
  ),
  get(
    '/api/executions/{id}/artifacts/{name}',
    'executions',
    "One kept artifact's bytes; name is <stepId>/<path> as listed (its '/' plain or %2F); 404 when the run does not list it as kept (a name with '..' never is)",
    { ok: binary(200, 'the file (application/octet-stream, attachment)') },
  ),
  post('/api/executions/{id}/cancel', 'executions', 'Cancel a run (its processes are killed)', {
    command: 'execution.cancel',
    ok: json(200, 'the run as cancelled'),
  }),
  post(
    '/api/plans',
    'plans',
    'Plan a run without starting it: every error, parallel levels, critical path, duration estimates from history and safety findings',
    {
      command: 'plan.create',
      input: 'body',
      ok: json(
        200,
        '{valid, errors, workflowId, levels, criticalPath, criticalPathMs, steps, findings} (valid false with every error for a bad definition or input; 404 for an unknown workflowId)',
      ),
    },
  ),
  post(
    '/api/executions/{id}/pause',
    'executions',
    'Pause a run: no new step starts, running steps finish; stored before the answer (a paused run answers unchanged)',
    {
      command: 'execution.pause',
      input: 'body',
      ok: json(
        200,
        'the run, status unchanged, with paused: {at, by, reason, stepId} (409 conflict: already finished)',
      ),
    },
  ),
  post(
    '/api/executions/{id}/resume',
    'executions',
    'Resume a paused run: ready steps start (a run not paused answers unchanged)',
    {
      command: 'execution.resume',
      input: 'body',
      ok: json(200, 'the run, without paused (409 conflict: already finished)'),
    },
  ),
  post(
    '/api/executions/{id}/approve',
    'approvals',
    'Approve the waiting approval step of a run (stepId when several wait); the decision is stored before the answer',
    {
      command: 'execution.approve',
      input: 'body',
      ok: json(
        200,
        '{executionId, workflowId, stepId, attempt, approved, by, at, comment} (409 conflict: not waiting, or already decided, with who decided; 403 forbidden: by is not an approver)',
      ),
    },
  ),
  post(
    '/api/executions/{id}/reject',
    'approvals',
    'Reject the waiting approval step of a run: the step fails (and the run, per needs)',
    {
      command: 'execution.reject',
      input: 'body',
      ok: json(
        200,
        '{executionId, workflowId, stepId, attempt, approved: false, by, at, comment} (409, 403 as approve)',
      ),
    },
  ),
  get(
    '/api/approvals',
    'approvals',
    'Approval steps waiting for a person, oldest first (limit: default 100)',
    {
      command: 'approval.list',
      ok: json(
        200,
        '{items: [{executionId, workflowId, stepId, attempt, message, approvers, since, deadline}]}',
      ),
    },
  ),
  get(
    '/api/next-actionable',
    'approvals',
    'The oldest thing waiting for a person: a session awaiting input or an approval',
    {
      command: 'next-actionable',
      ok: json(
        200,
        "{kind: 'session', since, session} or {kind: 'approval', since, approval} (404 when nothing waits)",
      ),
    },
  ),
  post(
    '/api/executions/{id}/retry',
    'executions',
    'Re-run a failed, cancelled or timed-out run from its failure (any finished run with from): a new run linked by retryOf, its succeeded steps kept (reused), not run again',
    {
      command: 'execution.retry',
      omit: ['idempotencyKey'],
      headers: [
        header(
          'Idempotency-Key',
          'at most one retry run per key and retried run within the retention; a repeat answers the first with Idempotent-Replayed: true',
        ),
      ],
      ok: json(
        202,
        '{executionId, retryOf} of the new run (409 conflict: the run is not finished, or completed without from; 422: unknown from)',
      ),
    },
  ),
];

/**
 * Workflow operations: register, list, get, delete, and start a run.
 * @module
 */
import { del, deleted, get, header, json, post, type ApiOperation } from './api-operation.ts';

/** The workflow operations, in document order. */
export const WORKFLOW_OPERATIONS: readonly ApiOperation[] = [
  post('/api/workflows', 'workflows', 'Register (or replace) a workflow, JSON or YAML', {
    command: 'workflow.register',
    body: 'workflow',
    ok: json(201, 'the stored workflow'),
  }),
  get('/api/workflows', 'workflows', 'List workflows', {
    command: 'workflow.list',
    ok: json(200, 'a page of workflows'),
  }),
  get('/api/workflows/{id}', 'workflows', 'Get a workflow', {
    command: 'workflow.get',
    ok: json(200, 'the workflow'),
  }),
  del('/api/workflows/{id}', 'workflows', 'Delete a workflow', {
    command: 'workflow.delete',
    ok: deleted,
  }),
  post('/api/workflows/{id}/execute', 'workflows', 'Start a run', {
    command: 'workflow.execute',
    pathFields: { id: 'workflowId' },
    input: 'body',
    omit: ['idempotencyKey'],
    headers: [
      header(
        'Idempotency-Key',
        'at most one run per key and workflow within the retention; a repeat answers the first run with Idempotent-Replayed: true',
      ),
    ],
    ok: json(
      202,
      '{executionId} of the accepted run (429 queue_full and 503 shutting_down carry Retry-After)',
    ),
  }),
];

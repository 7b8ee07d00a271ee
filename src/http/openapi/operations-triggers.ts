/**
 * Trigger operations: list and inspect triggers, pause, resume and fire them.
 * @module
 */
import { get, json, post, type ApiOperation } from './api-operation.ts';

const theTrigger = json(200, 'the trigger');

/** The trigger operations, in document order. */
export const TRIGGER_OPERATIONS: readonly ApiOperation[] = [
  get('/api/triggers', 'triggers', 'List triggers', {
    command: 'trigger.list',
    ok: json(200, 'the triggers'),
  }),
  get('/api/triggers/{id}', 'triggers', 'A trigger with its next fire', {
    command: 'trigger.get',
    ok: theTrigger,
  }),
  post('/api/triggers/{id}/pause', 'triggers', 'Pause a trigger (stored)', {
    command: 'trigger.pause',
    ok: theTrigger,
  }),
  post('/api/triggers/{id}/resume', 'triggers', 'Resume a trigger', {
    command: 'trigger.resume',
    ok: theTrigger,
  }),
  post('/api/triggers/{id}/fire', 'triggers', 'Fire a trigger now', {
    command: 'trigger.fire',
    input: 'body',
    ok: json(
      202,
      '{status: started|queued, executionId}; 200 {status: skipped, reason} under the overlap policy',
    ),
  }),
];

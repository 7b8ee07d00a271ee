/**
 * Operations on the running service across its nodes: its engines (pause, resume, drain) and
 * its live actors.
 * @module
 */
import { get, json, post, type ApiOperation } from './api-operation.ts';

const theEngine = json(200, 'the engine');

/** The engine and actor operations, in document order. */
export const CLUSTER_OPERATIONS: readonly ApiOperation[] = [
  get('/api/engines/{id}', 'engines', 'An engine, on any node', {
    command: 'engine.get',
    ok: theEngine,
  }),
  post('/api/engines/{id}/pause', 'engines', 'Stop taking new runs', {
    command: 'engine.pause',
    ok: theEngine,
  }),
  post('/api/engines/{id}/resume', 'engines', 'Take runs again', {
    command: 'engine.resume',
    ok: theEngine,
  }),
  post('/api/engines/{id}/drain', 'engines', 'Finish running work, take no more', {
    command: 'engine.drain',
    ok: theEngine,
  }),
  get('/api/actors', 'actors', 'Every live actor of the service, on every node', {
    command: 'actor.list',
    ok: json(200, '{items: [{kind, id, parent, node, machine, status, value, updatedAt}]}'),
  }),
  get(
    '/api/actors/{kind}/{id}',
    'actors',
    'One live actor: state, context summary, children, last transitions',
    { command: 'actor.get', ok: json(200, 'the actor') },
  ),
];

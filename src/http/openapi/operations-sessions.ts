/**
 * Session operations: create, list, inspect, update and delete sessions; start, stop and
 * restart them; write to their stdin, set their preferences, check their health, read their
 * output.
 * @module
 */
import {
  del,
  deleted,
  get,
  json,
  patch,
  post,
  put,
  query,
  text,
  type ApiOperation,
} from './api-operation.ts';

const theSession = json(200, 'the session');

/** The session operations, in document order. */
export const SESSION_OPERATIONS: readonly ApiOperation[] = [
  post('/api/sessions', 'sessions', 'Create a session, JSON or YAML', {
    command: 'session.create',
    body: 'session',
    ok: json(201, 'the session'),
  }),
  get('/api/sessions', 'sessions', 'List sessions', {
    command: 'session.list',
    ok: json(200, 'a page of sessions'),
  }),
  get('/api/sessions/next-actionable', 'sessions', 'The session that needs a person first', {
    command: 'session.next-actionable',
    ok: json(200, 'the session, or null'),
  }),
  get('/api/sessions/{id}', 'sessions', 'A session', { command: 'session.get', ok: theSession }),
  patch('/api/sessions/{id}', 'sessions', 'Rename, retag or set preferences', {
    command: 'session.update',
    input: 'body',
    ok: theSession,
  }),
  del('/api/sessions/{id}', 'sessions', 'Stop and delete a session', {
    command: 'session.delete',
    ok: deleted,
  }),
  post('/api/sessions/{id}/start', 'sessions', 'Start a session', {
    command: 'session.start',
    ok: theSession,
  }),
  post('/api/sessions/{id}/stop', 'sessions', 'Stop a session', {
    command: 'session.stop',
    ok: theSession,
  }),
  post('/api/sessions/{id}/restart', 'sessions', 'Restart a session', {
    command: 'session.restart',
    ok: theSession,
  }),
  post('/api/sessions/{id}/input', 'sessions', "Write to a session's stdin", {
    command: 'session.input',
    input: 'body',
    ok: json(200, 'bytes written'),
  }),
  put('/api/sessions/{id}/preferences/{key}', 'sessions', 'Set one preference', {
    command: 'session.set-preference',
    input: 'body',
    ok: theSession,
  }),
  del('/api/sessions/{id}/preferences/{key}', 'sessions', 'Remove one preference', {
    command: 'session.set-preference',
    input: 'body',
    omit: ['value'],
    ok: theSession,
  }),
  get('/api/sessions/{id}/health', 'sessions', "A session's health check", {
    command: 'session.health-check',
    ok: json(200, 'the check'),
  }),
  get(
    '/api/sessions/{id}/logs',
    'sessions',
    "A session's output: text, JSON, or followed as server-sent events",
    {
      command: 'session.logs',
      extraQuery: [
        query('follow', 'keep the response open and send new lines as events', {
          type: 'boolean',
        }),
        query('format', "'json' for {items}; text otherwise", {
          type: 'string',
          enum: ['json', 'text'],
        }),
      ],
      ok: text(200, 'the lines'),
    },
  ),
];

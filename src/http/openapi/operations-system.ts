/**
 * The service's own operations: health, metrics, the dashboard, the OpenAPI document,
 * statistics, and the statecharts it runs.
 * @module
 */
import { get, html, json, none, text, type ApiOperation } from './api-operation.ts';

/** Health, metrics, dashboard, document, statistics and machines, in document order. */
export const SYSTEM_OPERATIONS: readonly ApiOperation[] = [
  get('/health', 'system', 'Health of the service: 200 ok, 503 degraded with its problems', {
    command: 'health',
    ok: json(200, 'healthy (503 with the same shape when degraded)'),
  }),
  get('/metrics', 'system', 'Prometheus metrics', {
    command: 'metrics',
    ok: text(200, 'Prometheus text exposition'),
  }),
  get('/', 'dashboard', 'The dashboard (a single page; its API calls take the token)', {
    ok: html(200, 'the page'),
  }),
  get(
    '/assets/{name}',
    'dashboard',
    "The dashboard's bundled files (content-hashed names, cached for a year)",
    { ok: none(200, 'JavaScript, CSS or a source map') },
  ),
  get('/api/openapi.json', 'system', 'This document', {
    ok: json(200, 'the OpenAPI 3.1 document'),
  }),
  get('/api/statistics', 'system', 'Run statistics over a window', {
    command: 'statistics',
    ok: json(200, 'statistics'),
  }),
  get('/api/machines', 'machines', 'The statecharts Stator runs', {
    command: 'machine.list',
    ok: json(200, 'every machine'),
  }),
  get('/api/machines/{name}', 'machines', 'One statechart, as JSON or Mermaid', {
    command: 'machine.get',
    ok: json(200, 'the machine (text/plain for format=mermaid)'),
  }),
];

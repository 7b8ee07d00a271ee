/**
 * The OpenAPI document: valid OpenAPI 3.1, served behind the API token, naming exactly the
 * routes the app has, and agreeing with the server on what it refuses: for every operation that
 * takes a JSON body, a field of the wrong type (as the document types it) is answered 422.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStator } from '../../../src/index.ts';
import type { Stator } from '../../../src/runtime/types.ts';
import { createHttpApp } from '../../../src/http/index.ts';
import { STATOR_VERSION } from '../../../src/version.ts';

const TOKEN = 'openapi-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };

interface Operation {
  operationId: string;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
}
interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  $ref?: string;
}
type Doc = {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
};

/** Hono's `/:id` and `/:path{.+}` as OpenAPI's `/{id}`, `/{path}`. */
const openApiPath = (honoPath: string): string =>
  honoPath.replace(/:([A-Za-z]+)(\{[^}]*\})?/g, '{$1}').replace(/\/$/, '') || '/';

/** A value of another JSON type than `type`. */
const wrongValue = (type: string): unknown => (type === 'string' ? 12345 : 'not-a-' + type);

describe('OpenAPI document', () => {
  let stator: Stator;
  let app: Hono;
  let doc: Doc;

  beforeAll(async () => {
    stator = await createStator({ store: 'memory', rehydrate: false });
    app = createHttpApp({ stator, apiToken: TOKEN });
    const res = await app.request('/api/openapi.json', { headers: AUTH });
    expect(res.status).toBe(200);
    doc = (await res.json()) as Doc;
  });
  afterAll(() => stator?.close());

  it('is valid OpenAPI 3.1 and carries the package version', async () => {
    const result = await new Validator().validate(
      doc as unknown as Parameters<Validator['validate']>[0],
    );
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    const pkg = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8'),
    );
    expect(doc.info.version).toBe(pkg.version);
    expect(STATOR_VERSION).toBe(pkg.version);
  });

  it('is behind the API token like the rest of /api', async () => {
    expect((await app.request('/api/openapi.json')).status).toBe(401);
  });

  it('documents every route of the app, and only those', () => {
    const served = new Set(
      app.routes
        .filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m} ${path}`),
      ),
    );
    expect([...served].filter((r) => !documented.has(r)).sort()).toEqual([]);
    expect([...documented].filter((r) => !served.has(r)).sort()).toEqual([]);
    expect(documented.size).toBeGreaterThan(35);
  });

  it('names path parameters from the route and keeps them out of the body', () => {
    const execute = doc.paths['/api/workflows/{id}/execute']!.post!;
    expect(execute.operationId).toBe('workflow.execute');
    expect(execute.parameters).toContainEqual(
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
    );
    expect(execute.parameters).toContainEqual(
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }),
    );
    const body = execute.requestBody!.content['application/json']!.schema;
    expect(Object.keys(body.properties!).sort()).toEqual(['executionId', 'input', 'priority']);
    const list = doc.paths['/api/executions']!.get!;
    expect(list.parameters!.map((p) => p.name)).toEqual(
      expect.arrayContaining(['status', 'limit', 'cursor']),
    );
  });

  it('agrees with the server: a body field of the wrong type is refused with 422', async () => {
    await stator.registerWorkflow({ id: 'w', steps: [{ id: 'a', run: 'true' }] });
    await app.request('/api/sessions', {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      // Not started (no autostart): nothing to stop afterwards.
      body: JSON.stringify({ name: 's1', run: 'sleep 30' }),
    });
    const ids: Record<string, string> = { id: 'w', key: 'k' };
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const schema = op.requestBody?.content['application/json']?.schema;
        if (!schema?.properties) continue;
        const typed = Object.entries(schema.properties).find(([, s]) => typeof s.type === 'string');
        if (!typed) continue;
        const [field, fieldSchema] = typed;
        const concrete = path.startsWith('/api/sessions/')
          ? path.replace('{id}', 's1').replace('{key}', 'k')
          : path.replace(/\{(\w+)\}/g, (_, p: string) => ids[p] ?? 'x');
        const res = await app.request(concrete, {
          method: method.toUpperCase(),
          headers: { ...AUTH, 'content-type': 'application/json' },
          body: JSON.stringify({ [field]: wrongValue(fieldSchema.type!) }),
        });
        expect(res.status, `${method} ${concrete} with ${field}: ${fieldSchema.type}`).toBe(422);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });
});

/**
 * The OpenAPI 3.1 document of the HTTP API, made from the same zod schemas the routes validate
 * with: each operation's command input schema (`src/commands`) is turned into JSON Schema
 * (draft 2020-12, the dialect of OpenAPI 3.1) and split into path parameters, query parameters
 * or a JSON body as the route takes them. Workflow and session definitions use their own
 * schemas, and every error answers the one wire shape `{error: {code, message, details,
 * recoverable}}`. Built once per process: the document is a pure function of the code.
 * @module
 */
import { z } from 'zod';
import { getCommand } from '../../commands/index.ts';
import { ERROR_CODES } from '../../errors.ts';
import { sessionJsonSchema } from '../../sessions/index.ts';
import { workflowJsonSchema } from '../../workflow/index.ts';
import { API_OPERATIONS, type ApiOperation, type ContentKind } from './api-operations.ts';

type JsonSchema = Record<string, unknown> & {
  properties?: Record<string, JsonSchema>;
  required?: string[];
};

const ERROR_REF = { $ref: '#/components/schemas/Error' };

/** The command's input as JSON Schema, without the dialect marker. */
function inputSchema(op: ApiOperation): JsonSchema {
  if (op.command === undefined) return { type: 'object', properties: {} };
  const schema = z.toJSONSchema(getCommand(op.command).input, {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

const pathParams = (path: string): string[] => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);

/** Path and query parameters, and the body schema when the fields travel in a body. */
function splitInput(op: ApiOperation): { parameters: object[]; body?: JsonSchema } {
  const schema = inputSchema(op);
  const props = { ...(schema.properties ?? {}) };
  const required = new Set(schema.required ?? []);
  const parameters: object[] = [];
  for (const name of pathParams(op.path)) {
    const field = op.pathFields?.[name] ?? name;
    const schema = props[field] ?? { type: 'string' };
    parameters.push({ name, in: 'path', required: true, schema });
    delete props[field];
    required.delete(field);
  }
  for (const name of op.omit ?? []) {
    delete props[name];
    required.delete(name);
  }
  for (const h of op.headers ?? []) {
    parameters.push({
      name: h.name,
      in: 'header',
      description: h.description,
      schema: { type: 'string' },
    });
  }
  for (const q of op.extraQuery ?? []) {
    parameters.push({ name: q.name, in: 'query', description: q.description, schema: q.schema });
  }
  if (op.input === 'body') {
    const body: JsonSchema = { ...schema, properties: props };
    if (required.size > 0) body.required = [...required];
    else delete body.required;
    return { parameters, body };
  }
  for (const [name, prop] of Object.entries(props)) {
    const { description, ...propSchema } = prop;
    parameters.push({
      name,
      in: 'query',
      required: required.has(name),
      ...(typeof description === 'string' && { description }),
      schema: propSchema,
    });
  }
  return { parameters };
}

function requestBody(op: ApiOperation, body: JsonSchema | undefined): object | undefined {
  switch (op.body) {
    case 'workflow':
    case 'session': {
      const ref = {
        $ref: `#/components/schemas/${op.body === 'workflow' ? 'Workflow' : 'Session'}`,
      };
      return {
        required: true,
        description: 'JSON, or YAML with Content-Type application/yaml (or text/yaml)',
        content: { 'application/json': { schema: ref }, 'application/yaml': { schema: ref } },
      };
    }
    case 'webhook':
      return {
        description: "A JSON object: the run's input (checked against the workflow's inputs)",
        content: { 'application/json': { schema: { type: 'object' } } },
      };
    default:
      return body === undefined
        ? undefined
        : { required: false, content: { 'application/json': { schema: body } } };
  }
}

const CONTENT: Record<ContentKind, (description: string) => object> = {
  json: (description) => ({ description, content: { 'application/json': { schema: {} } } }),
  text: (description) => ({
    description,
    content: { 'text/plain': { schema: { type: 'string' } } },
  }),
  html: (description) => ({
    description,
    content: { 'text/html': { schema: { type: 'string' } } },
  }),
  sse: (description) => ({
    description,
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  }),
  binary: (description) => ({
    description,
    content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
  }),
  none: (description) => ({ description }),
};

function operation(op: ApiOperation): object {
  const { parameters, body } = splitInput(op);
  const request = requestBody(op, body);
  return {
    operationId:
      op.command ??
      `${op.method}${op.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    tags: [op.tag],
    summary: op.summary,
    ...(op.command !== undefined && { description: getCommand(op.command).description }),
    ...(parameters.length > 0 && { parameters }),
    ...(request !== undefined && { requestBody: request }),
    responses: {
      [String(op.success.status)]: CONTENT[op.success.content](op.success.description),
      default: {
        description: 'an error: the status follows error.code',
        content: { 'application/json': { schema: ERROR_REF } },
      },
    },
  };
}

/**
 * Moves a schema's `$defs` into the document's components (zod names them `__schema0`...):
 * a `#/$defs/X` reference means the document's root once the schema is embedded.
 */
function hoistDefs(
  schema: Record<string, unknown>,
  prefix: string,
  components: Record<string, unknown>,
): Record<string, unknown> {
  const { $defs, ...rest } = schema as { $defs?: Record<string, unknown> };
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')
          ? `#/components/schemas/${prefix}${v.slice('#/$defs/'.length)}`
          : rewrite(v);
    }
    return out;
  };
  for (const [name, def] of Object.entries($defs ?? {})) {
    components[`${prefix}${name}`] = rewrite(def);
  }
  return rewrite(rest) as Record<string, unknown>;
}

/** Builds the document (use `openApiDocument()`, which builds it once). */
export function buildOpenApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, object>> = {};
  for (const op of API_OPERATIONS) (paths[op.path] ??= {})[op.method] = operation(op);
  const { $schema: _w, $id: _id, ...workflow } = workflowJsonSchema();
  const schemas: Record<string, unknown> = {};
  return {
    openapi: '3.1.0',
    info: {
      title: 'Stator',
      version,
      description:
        'Workflows, sessions and triggers as statecharts. The same commands answer on NATS at stator.api.<command> (operationId).',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearer: [] }, {}],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'STATOR_API_TOKEN, when the server sets one (/hooks/* are signed instead)',
        },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'recoverable'],
              properties: {
                code: { type: 'string', enum: ERROR_CODES },
                message: { type: 'string' },
                details: {},
                recoverable: { type: 'boolean' },
              },
            },
          },
        },
        Workflow: hoistDefs(workflow, 'Workflow', schemas),
        Session: hoistDefs(sessionJsonSchema(), 'Session', schemas),
        ...schemas,
      },
    },
  };
}

let built: { version: string; doc: Record<string, unknown> } | undefined;

/** The document, built on first use. */
export function openApiDocument(version: string): Record<string, unknown> {
  if (built?.version !== version) built = { version, doc: buildOpenApiDocument(version) };
  return built.doc;
}

/**
 * Request body decoding: JSON bodies (empty means absent) and workflow definitions, which may
 * arrive as JSON or YAML depending on the content type. JSON is pre-scanned within the input
 * bounds (src/parse) before it is parsed; YAML text is parsed, within the same bounds, by the
 * command that takes it (workflow/parse.ts).
 * @module
 */
import type { Context } from 'hono';
import { parseBoundedJson } from '../parse/index.ts';

const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml']);

/** The media type of a request without parameters, lower-cased; '' when absent. */
export function mediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

const isJsonType = (type: string): boolean => type === 'application/json' || type.endsWith('+json');

/**
 * Parses JSON text within the input bounds: InputBoundsError (400 `input_bounds`) past one,
 * MalformedPayloadError (400 `malformed_json`) on bad input.
 */
export function parseJsonText(text: string): unknown {
  return parseBoundedJson(text, undefined, 'malformed JSON body');
}

/** Reads a JSON body; an empty body yields undefined. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  return text.trim() === '' ? undefined : parseJsonText(text);
}

/**
 * Reads a workflow definition: parsed JSON for JSON types, the text itself for YAML types, and
 * for anything else JSON when the text looks like an object, YAML text otherwise.
 */
export async function readDefinitionBody(c: Context): Promise<unknown> {
  const type = mediaType(c);
  const text = await c.req.text();
  if (isJsonType(type)) return text.trim() === '' ? '' : parseJsonText(text);
  if (YAML_TYPES.has(type)) return text;
  return text.trimStart().startsWith('{') ? parseJsonText(text) : text;
}

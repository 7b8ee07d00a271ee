/**
 * The shape of one HTTP API operation, and a small builder that writes one as a single call:
 * `get(path, tag, summary, { command, ok: json(200, 'the run') })`. The builder keeps the
 * fields in the order they are written, so the table reads as a table and nothing gains an
 * `undefined` field.
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

/** The success answer of an operation. */
export type Success = ApiOperation['success'];

/** Everything of an operation but method, path, tag and summary; `ok` is its success answer. */
export type OperationSpec = Omit<
  ApiOperation,
  'method' | 'path' | 'tag' | 'summary' | 'success'
> & {
  readonly ok: Success;
};

/** Builds the operations of one HTTP method. */
function builder(method: ApiOperation['method']) {
  return function operation(
    path: string,
    tag: string,
    summary: string,
    spec: OperationSpec,
  ): ApiOperation {
    const { ok, ...fields } = spec;
    return { method, path, tag, summary, ...fields, success: ok };
  };
}

/** A GET operation. */
export const get = builder('get');
/** A POST operation. */
export const post = builder('post');
/** A PUT operation. */
export const put = builder('put');
/** A PATCH operation. */
export const patch = builder('patch');
/** A DELETE operation (`delete` is a reserved word). */
export const del = builder('delete');

/** Builds the success answers of one content kind. */
function answer(content: ContentKind) {
  return function success(status: number, description: string): Success {
    return { status, description, content };
  };
}

/** A JSON answer. */
export const json = answer('json');
/** A plain-text answer. */
export const text = answer('text');
/** An HTML page. */
export const html = answer('html');
/** A server-sent event stream. */
export const sse = answer('sse');
/** Raw bytes. */
export const binary = answer('binary');
/** An answer without a documented body. */
export const none = answer('none');
/** The answer of a deletion: 204 without a body. */
export const deleted: Success = Object.freeze(none(204, 'deleted'));

/** A request header the operation reads. */
export const header = (name: string, description: string) => ({ name, description });

/** A query parameter outside the command's schema, with its JSON Schema. */
export const query = (name: string, description: string, schema: object) => ({
  name,
  description,
  schema,
});

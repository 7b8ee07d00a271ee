/**
 * The terminal CLI's client of a running server's HTTP API: the server's URL and token (from
 * flags or STATOR_URL / STATOR_API_TOKEN), JSON requests whose errors become StatorErrors with
 * the server's code, and readers of streamed answers (server-sent events, followed text).
 * @module
 */
import { z } from 'zod';
import { InvalidArgumentError, StatorError, type ErrorCode } from '../../errors.ts';

/** Where the server is and how to authenticate. */
export interface Remote {
  readonly url: string;
  readonly token: string | undefined;
}

const remoteSchema = z.object({
  url: z
    .string()
    .url('must be an http(s) URL such as http://127.0.0.1:8080')
    .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL')
    .transform((u) => u.replace(/\/+$/, '')),
  token: z.string().min(1).optional(),
});

/** The flags every remote command takes. */
export const REMOTE_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Resolves the server from flags, then the environment, then the default local server. */
export function resolveRemote(flags: { url?: string; token?: string }, env = process.env): Remote {
  const parsed = remoteSchema.safeParse({
    url: flags.url ?? env.STATOR_URL ?? 'http://127.0.0.1:8080',
    token: flags.token ?? (env.STATOR_API_TOKEN || undefined),
  });
  if (!parsed.success) {
    throw InvalidArgumentError.format(
      parsed.error.issues.map((i) => ({ path: `--${String(i.path[0])}`, message: i.message })),
    );
  }
  return { url: parsed.data.url, token: parsed.data.token };
}

const wireErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

/** A request to the server; failures become StatorErrors carrying the server's code. */
export async function request(
  remote: Remote,
  method: string,
  path: string,
  body?: unknown,
  init: { signal?: AbortSignal; accept?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = { accept: init.accept ?? 'application/json' };
  if (remote.token !== undefined) headers.authorization = `Bearer ${remote.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${remote.url}${path}`, {
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
      ...(init.signal && { signal: init.signal }),
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new StatorError('unavailable', `cannot reach ${remote.url} (${cause})`, {
      recoverable: true,
    });
  }
  if (res.ok) return res;
  const text = await res.text();
  let parsed: z.infer<typeof wireErrorSchema> | undefined;
  try {
    parsed = wireErrorSchema.parse(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  if (parsed) {
    throw new StatorError(parsed.error.code as ErrorCode, parsed.error.message, {
      details: parsed.error.details,
    });
  }
  throw new StatorError('internal', `${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
}

/** A JSON request; resolves with the parsed answer. */
export async function requestJson<T>(
  remote: Remote,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await request(remote, method, path, body);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** One server-sent event. */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** Reads a response body as server-sent events until it ends or `signal` aborts. */
export async function* readSse(res: Response): AsyncGenerator<SseEvent> {
  let buffer = '';
  for await (const text of readText(res)) {
    buffer += text;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: SseEvent = { event: 'message', data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon === 0) continue; // a comment (heartbeat)
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event.event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') event.id = value;
      }
      event.data = data.join('\n');
      if (data.length > 0) yield event;
    }
  }
}

/** Reads a response body as text chunks. */
export async function* readText(res: Response): AsyncGenerator<string> {
  if (res.body === null) return;
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    yield decoder.decode(chunk, { stream: true });
  }
}

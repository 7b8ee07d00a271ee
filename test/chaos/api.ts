/**
 * The HTTP API as the chaos tests use it: register workflows, start runs, read records and
 * logs, drive sessions. The base URL is read at each call, so a client follows the server
 * across restarts (each one listens on a new port).
 * @module
 */

/** A step as `GET /api/executions/:id` returns it (lostAttempts: from the durable host on). */
export interface StepView {
  id: string;
  status: string;
  attempts: number;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  lostAttempts?: number;
}

/** An execution record. */
export interface ExecutionView {
  id: string;
  workflowId: string;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: { code: string; message: string } | null;
  steps: StepView[];
}

/** A session record. */
export interface SessionView {
  id: string;
  name: string;
  status: string;
  pid: number | null;
  restarts: number;
  lastError: string | null;
}

/** Statuses after which a run never changes. */
export const FINAL_STATUSES = ['completed', 'failed', 'cancelled', 'timed_out'];

/** An HTTP error with the status and body of the answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what} → ${status} ${body.slice(0, 500)}`);
  }
}

/** The API client of one test. */
export class ChaosApi {
  constructor(private readonly baseUrl: () => string) {}

  /** A request; JSON in and out, throwing HttpError unless the status is `expect`. */
  async call<T>(method: string, path: string, body?: unknown, expect = 200): Promise<T> {
    const res = await fetch(this.baseUrl() + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (res.status !== expect) throw new HttpError(res.status, text, `${method} ${path}`);
    const type = res.headers.get('content-type') ?? '';
    return (type.includes('json') && text !== '' ? JSON.parse(text) : text) as T;
  }

  /** Registers (or replaces) a workflow. */
  async register(definition: object): Promise<void> {
    await this.call('POST', '/api/workflows', definition, 201);
  }

  /** Starts a run; resolves with its id once the server answered 202. */
  async execute(workflowId: string, input: Record<string, unknown> = {}): Promise<string> {
    const path = `/api/workflows/${encodeURIComponent(workflowId)}/execute`;
    const { executionId } = await this.call<{ executionId: string }>('POST', path, { input }, 202);
    return executionId;
  }

  /** One execution record. */
  execution(id: string): Promise<ExecutionView> {
    return this.call('GET', `/api/executions/${encodeURIComponent(id)}`);
  }

  /** The logs of a run, `<step> <stream> | <line>` per line. */
  logs(id: string): Promise<string> {
    return this.call('GET', `/api/executions/${encodeURIComponent(id)}/logs`);
  }

  /** Every execution of the store, newest first (pages of 500). */
  async allExecutions(
    filter: Record<string, string> = {},
  ): Promise<Array<{ id: string; status: string }>> {
    const items: Array<{ id: string; status: string }> = [];
    let cursor: string | null = null;
    do {
      const q = new URLSearchParams({ ...filter, limit: '500', ...(cursor ? { cursor } : {}) });
      const page: { items: Array<{ id: string; status: string }>; nextCursor: string | null } =
        await this.call('GET', `/api/executions?${q.toString()}`);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return items;
  }

  /** Creates a session (201). */
  createSession(definition: object): Promise<SessionView> {
    return this.call('POST', '/api/sessions', definition, 201);
  }

  /** Session lifecycle command (`start`, `stop`, `restart`). */
  sessionCommand(id: string, command: 'start' | 'stop' | 'restart'): Promise<SessionView> {
    return this.call('POST', `/api/sessions/${encodeURIComponent(id)}/${command}`);
  }

  /** One session. */
  session(id: string): Promise<SessionView> {
    return this.call('GET', `/api/sessions/${encodeURIComponent(id)}`);
  }

  /** Writes a line to a session's stdin. */
  async sessionInput(id: string, text: string): Promise<void> {
    await this.call('POST', `/api/sessions/${encodeURIComponent(id)}/input`, { text });
  }

  /** A session's buffered output, `<stream> | <line>` per line. */
  sessionLogs(id: string): Promise<string> {
    return this.call('GET', `/api/sessions/${encodeURIComponent(id)}/logs`);
  }

  /** Deletes a session (stops its process group). */
  async deleteSession(id: string): Promise<void> {
    await this.call('DELETE', `/api/sessions/${encodeURIComponent(id)}`, undefined, 204);
  }
}

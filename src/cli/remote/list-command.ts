/**
 * `stator ls`: the sessions and the latest runs of a running server, as two tables (or JSON).
 * @module
 */
import { parseArgs } from 'node:util';
import { out } from '../cli-io.ts';
import { HELP } from '../help.ts';
import { REMOTE_OPTIONS, requestJson, resolveRemote } from './api-client.ts';
import { formatAgo, formatDuration, formatTable } from './table.ts';

interface SessionRow {
  id: string;
  name: string;
  status: string;
  activity: string | null;
  pid: number | null;
  restarts: number;
  node: string | null;
}

interface ExecutionRow {
  id: string;
  workflowId: string;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** Runs `stator ls`; resolves with the exit code. */
export async function listCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...REMOTE_OPTIONS,
      json: { type: 'boolean' },
      limit: { type: 'string' },
      status: { type: 'string' },
    },
  });
  if (values.help) return (out(HELP.ls!), 0);
  const remote = resolveRemote(values);
  const limit = values.limit ?? '20';
  const query = new URLSearchParams({ limit, ...(values.status && { status: values.status }) });
  const [sessions, executions] = await Promise.all([
    requestJson<{ items: SessionRow[] }>(remote, 'GET', `/api/sessions?limit=${limit}`),
    requestJson<{ items: ExecutionRow[] }>(remote, 'GET', `/api/executions?${query}`),
  ]);
  if (values.json) {
    out(JSON.stringify({ sessions: sessions.items, executions: executions.items }));
    return 0;
  }
  const now = Date.now();
  out('SESSIONS');
  out(
    sessions.items.length === 0
      ? '(none)'
      : formatTable(
          ['ID', 'NAME', 'STATUS', 'ACTIVITY', 'PID', 'RESTARTS', 'NODE'],
          sessions.items.map((s) => [
            s.id,
            s.name,
            s.status,
            s.activity ?? '-',
            s.pid === null ? '-' : String(s.pid),
            String(s.restarts),
            s.node ?? '-',
          ]),
        ),
  );
  out('');
  out('RUNS');
  out(
    executions.items.length === 0
      ? '(none)'
      : formatTable(
          ['ID', 'WORKFLOW', 'STATUS', 'STARTED', 'DURATION'],
          executions.items.map((e) => [
            e.id,
            e.workflowId,
            e.status,
            formatAgo(e.startedAt, now),
            e.startedAt
              ? formatDuration(
                  (e.finishedAt ? Date.parse(e.finishedAt) : now) - Date.parse(e.startedAt),
                )
              : '-',
          ]),
        ),
  );
  return 0;
}

/**
 * `stator retry <execution> [--from STEP] [--latest] [--watch]`: re-runs a run from its failure
 * (or from STEP) as a new run linked to it, keeping the steps that succeeded; prints the new
 * run's id, or follows it as `stator watch` does.
 * @module
 */
import { parseArgs } from 'node:util';
import { err, out } from '../cli-io.ts';
import { HELP } from '../help.ts';
import { REMOTE_OPTIONS, requestJson, resolveRemote } from './api-client.ts';
import { watchRun } from './run-watch.ts';

/** Runs `stator retry`; resolves with the exit code. */
export async function retryCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...REMOTE_OPTIONS,
      from: { type: 'string' },
      latest: { type: 'boolean' },
      watch: { type: 'boolean', short: 'w' },
    },
  });
  if (values.help) return (out(HELP.retry!), 0);
  const id = positionals[0];
  if (id === undefined || positionals.length > 1) return (err(HELP.retry!), 2);
  const remote = resolveRemote(values);
  const query = new URLSearchParams();
  if (values.from !== undefined) query.set('from', values.from);
  if (values.latest) query.set('definition', 'latest');
  const search = query.size > 0 ? `?${query.toString()}` : '';
  const { executionId } = await requestJson<{ executionId: string }>(
    remote,
    'POST',
    `/api/executions/${encodeURIComponent(id)}/retry${search}`,
  );
  if (!values.watch) return (out(executionId), 0);
  return watchRun(remote, executionId);
}

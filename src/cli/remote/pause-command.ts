/**
 * `stator pause|resume <execution> [--by NAME]`: pauses a run on a running server (no new step
 * starts, running steps finish) or resumes it. `--by` defaults to the login name. The server
 * stores the pause before it answers; pausing a paused run (or resuming a running one) changes
 * nothing and succeeds.
 * @module
 */
import { parseArgs } from 'node:util';
import { err, out } from '../cli-io.ts';
import { HELP } from '../help.ts';
import { REMOTE_OPTIONS, requestJson, resolveRemote } from './api-client.ts';
import { loginName } from './approve-command.ts';

interface PausedRun {
  id: string;
  status: string;
  paused?: { at: string; by: string; reason: string; stepId?: string };
}

/** Runs `stator pause` or `stator resume`; exit 0 once stored, 1 when refused, 2 on usage. */
export async function pauseCommand(action: 'pause' | 'resume', args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...REMOTE_OPTIONS, by: { type: 'string' } },
  });
  if (values.help) return (out(HELP[action]!), 0);
  const id = positionals[0];
  if (id === undefined || positionals.length > 1) return (err(HELP[action]!), 2);
  const remote = resolveRemote(values);
  const by = values.by ?? loginName();
  const run = await requestJson<PausedRun>(
    remote,
    'POST',
    `/api/executions/${encodeURIComponent(id)}/${action}`,
    by !== undefined ? { by } : {},
  );
  const p = run.paused;
  out(
    p
      ? `${run.id} paused by ${p.by} at ${p.at}${p.stepId !== undefined ? ` before ${p.stepId}` : ''}`
      : `${run.id} ${run.status}, not paused`,
  );
  return 0;
}

/**
 * `stator approve <execution> [--step S] [--reject] [--comment C] [--by NAME]`: decides the
 * waiting approval step of a run on a running server. `--by` defaults to the login name
 * (`$USER`). The server stores the decision before it answers.
 * @module
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { err, out } from '../cli-io.ts';
import { HELP } from '../help.ts';
import { REMOTE_OPTIONS, requestJson, resolveRemote } from './api-client.ts';

interface Decided {
  executionId: string;
  stepId: string;
  approved: boolean;
  by: string;
  at: string;
}

/** The login name, or undefined when there is none (the server then says `anonymous`). */
export function loginName(): string | undefined {
  const fromEnv = process.env.USER ?? process.env.LOGNAME;
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

/** Runs `stator approve`; exit 0 once the decision is stored, 1 when refused, 2 on usage. */
export async function approveCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...REMOTE_OPTIONS,
      step: { type: 'string' },
      reject: { type: 'boolean' },
      comment: { type: 'string' },
      by: { type: 'string' },
    },
  });
  if (values.help) return (out(HELP.approve!), 0);
  const id = positionals[0];
  if (id === undefined || positionals.length > 1) return (err(HELP.approve!), 2);
  const remote = resolveRemote(values);
  const by = values.by ?? loginName();
  const action = values.reject ? 'reject' : 'approve';
  const d = await requestJson<Decided>(
    remote,
    'POST',
    `/api/executions/${encodeURIComponent(id)}/${action}`,
    {
      ...(values.step !== undefined && { stepId: values.step }),
      ...(by !== undefined && { by }),
      ...(values.comment !== undefined && { comment: values.comment }),
    },
  );
  out(
    `${d.executionId} ${d.stepId}: ${d.approved ? 'approved' : 'rejected'} by ${d.by} at ${d.at}`,
  );
  return 0;
}

/**
 * `stator logs <id> [-f]`: the output of a run (`<step> <stream> | line`) or of a session
 * (`<stream> | line`); with `-f` it keeps printing new lines, until the run ends or, for a
 * session, until interrupted.
 * @module
 */
import { parseArgs } from 'node:util';
import { StatorError } from '../../errors.ts';
import { err, out } from '../cli-io.ts';
import { HELP } from '../help.ts';
import {
  REMOTE_OPTIONS,
  readText,
  request,
  requestJson,
  resolveRemote,
  type Remote,
} from './api-client.ts';
import { followRunFromStart, isFinalEvent } from './event-follow.ts';

const FINAL_STATUSES = new Set(['completed', 'failed', 'cancelled', 'timed_out', 'blocked']);

const write = (text: string): void => void process.stdout.write(text);

/** True when `id` names a run (else it is taken for a session). */
async function isExecution(remote: Remote, id: string): Promise<{ status: string } | undefined> {
  try {
    return await requestJson<{ status: string }>(
      remote,
      'GET',
      `/api/executions/${encodeURIComponent(id)}`,
    );
  } catch (e) {
    if (e instanceof StatorError && e.code === 'not_found') return undefined;
    throw e;
  }
}

/** Prints a run's stored logs; with `follow`, then its new lines until it ends. */
async function runLogs(
  remote: Remote,
  id: string,
  status: string,
  follow: boolean,
  stepId?: string,
): Promise<number> {
  const path = `/api/executions/${encodeURIComponent(id)}/logs${stepId ? `?stepId=${encodeURIComponent(stepId)}` : ''}`;
  const stored = async () =>
    write(await (await request(remote, 'GET', path, undefined, { accept: 'text/plain' })).text());
  if (!follow || FINAL_STATUSES.has(status)) {
    await stored();
    return 0;
  }
  const { run, whole } = await followRunFromStart(remote, id);
  try {
    // Without the run's start in the replay, the stored lines first (a line written in the
    // instant between the two may show twice).
    if (!whole) await stored();
    for await (const e of run.events) {
      if (
        (e.type === 'step.stdout' || e.type === 'step.stderr') &&
        (!stepId || e.stepId === stepId)
      ) {
        write(`${e.stepId} ${e.type.slice(5)} | ${e.line}\n`);
      }
      if (isFinalEvent(e)) break;
    }
  } finally {
    run.close();
  }
  return 0;
}

/** Prints a session's buffered lines; with `follow`, keeps printing until interrupted. */
async function sessionLogs(remote: Remote, id: string, follow: boolean): Promise<number> {
  const query = follow ? '?follow=1' : '';
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  try {
    const res = await request(
      remote,
      'GET',
      `/api/sessions/${encodeURIComponent(id)}/logs${query}`,
      undefined,
      {
        accept: 'text/plain',
        signal: abort.signal,
      },
    );
    for await (const text of readText(res)) write(text);
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e;
  } finally {
    process.off('SIGINT', stop);
  }
  return 0;
}

/** Runs `stator logs`; resolves with the exit code. */
export async function logsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...REMOTE_OPTIONS,
      follow: { type: 'boolean', short: 'f' },
      step: { type: 'string' },
    },
  });
  if (values.help) return (out(HELP.logs!), 0);
  const id = positionals[0];
  if (id === undefined) return (err(HELP.logs!), 2);
  const remote = resolveRemote(values);
  const execution = await isExecution(remote, id);
  if (execution) return runLogs(remote, id, execution.status, values.follow === true, values.step);
  try {
    return await sessionLogs(remote, id, values.follow === true);
  } catch (e) {
    if (e instanceof StatorError && e.code === 'not_found') {
      throw new StatorError('not_found', `no run or session '${id}'`);
    }
    throw e;
  }
}

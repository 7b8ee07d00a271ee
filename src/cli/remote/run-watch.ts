/**
 * `stator watch <execution>` and `stator exec <workflow> [--watch]`: a run followed as it goes.
 * On a terminal, one block redrawn in place: each step's state, a progress bar and the tail of
 * the log. Elsewhere (a pipe, CI), one plain line per event. Exit 0 when the run completed,
 * 1 when it did not.
 * @module
 */
import { parseArgs } from 'node:util';
import { err, out } from '../cli-io.ts';
import { HELP } from '../help.ts';
import { parseInputFlags } from '../run-file.ts';
import type { WorkflowDefinition } from '../../workflow/index.ts';
import { REMOTE_OPTIONS, requestJson, resolveRemote, type Remote } from './api-client.ts';
import { followRunFromStart, isFinalEvent, type RunEvent } from './event-follow.ts';
import { WatchView, type RunState } from './watch-view.ts';

const FINAL_STATUSES = new Set(['completed', 'failed', 'cancelled', 'timed_out', 'blocked']);

const runPath = (id: string) => `/api/executions/${encodeURIComponent(id)}`;

/** Follows run `id` to its end, drawing it; resolves with the exit code. */
export async function watchRun(
  remote: Remote,
  id: string,
  stepIds?: readonly string[],
): Promise<number> {
  const view = new WatchView(process.stdout.isTTY === true, (text) => process.stdout.write(text));
  // Without the run's start in the replay, live events from its stored state on.
  const { run, whole } = await followRunFromStart(remote, id);
  try {
    const stored = await requestJson<RunState>(remote, 'GET', runPath(id));
    view.start(stored, stepIds);
    if (!whole && FINAL_STATUSES.has(stored.status)) return view.finish(stored);
    for await (const e of run.events) {
      view.apply(e as RunEvent);
      if (isFinalEvent(e)) break;
    }
  } finally {
    run.close();
  }
  return view.finish(await requestJson<RunState>(remote, 'GET', runPath(id)));
}

/** Runs `stator watch <execution>`. */
export async function watchCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: REMOTE_OPTIONS,
  });
  if (values.help) return (out(HELP.watch!), 0);
  if (positionals[0] === undefined) return (err(HELP.watch!), 2);
  return watchRun(resolveRemote(values), positionals[0]);
}

/** Runs `stator exec <workflow> [--input k=v ...] [--watch]`. */
export async function execCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...REMOTE_OPTIONS,
      input: { type: 'string', short: 'i', multiple: true },
      watch: { type: 'boolean', short: 'w' },
    },
  });
  if (values.help) return (out(HELP.exec!), 0);
  const workflowId = positionals[0];
  if (workflowId === undefined) return (err(HELP.exec!), 2);
  const remote = resolveRemote(values);
  const workflow = await requestJson<{ definition: WorkflowDefinition }>(
    remote,
    'GET',
    `/api/workflows/${encodeURIComponent(workflowId)}`,
  );
  const input = parseInputFlags(values.input ?? [], workflow.definition);
  const { executionId } = await requestJson<{ executionId: string }>(
    remote,
    'POST',
    `/api/workflows/${encodeURIComponent(workflowId)}/execute`,
    { input },
  );
  if (!values.watch) return (out(executionId), 0);
  // The server keeps the run's first events: the watch replays them, missing nothing.
  return watchRun(
    remote,
    executionId,
    workflow.definition.steps.map((s) => s.id),
  );
}

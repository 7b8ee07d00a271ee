/**
 * `stator run FILE`: one workflow file run in an in-process service (memory store), its progress
 * printed one line per event (or JSON lines), exit 0 when the run completed.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createLogger } from '../logger.ts';
import { toExecutionDetail } from '../commands/index.ts';
import { createStator, type Stator } from '../runtime/index.ts';
import type { WorkflowDefinition } from '../workflow/index.ts';
import { StatorError } from '../errors.ts';
import type { StampedEvent } from '../events.ts';
import { err, out, printError } from './cli-io.ts';
import { HELP } from './help.ts';

/** One human line per event, or undefined for events not worth a line. */
export function formatEvent(e: StampedEvent): string | undefined {
  switch (e.type) {
    case 'execution.started':
      return `execution ${e.executionId} of ${e.workflowId} started`;
    case 'step.started':
      return `[${e.stepId}] started${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`;
    case 'step.stdout':
      return `[${e.stepId}] ${e.line}`;
    case 'step.stderr':
      return `[${e.stepId}] (stderr) ${e.line}`;
    case 'step.retrying':
      return `[${e.stepId}] retrying in ${e.delayMs} ms: ${e.error}`;
    case 'step.completed':
      return `[${e.stepId}] completed (exit ${e.exitCode ?? '-'}, ${e.durationMs} ms)`;
    case 'step.failed':
    case 'step.timed_out':
    case 'step.cancelled':
    case 'step.interrupted':
      return `[${e.stepId}] ${e.type.slice(5).replace('_', ' ')}: ${e.error}`;
    case 'step.skipped':
      return `[${e.stepId}] skipped: ${e.reason}`;
    case 'execution.rolling_back':
      return `execution ${e.executionId} rolling back: ${e.steps.join(', ')}`;
    case 'step.rollback_started':
      return `[${e.stepId}] rolling back${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`;
    case 'step.rolled_back':
      return `[${e.stepId}] rolled back`;
    case 'step.rollback_failed':
      return `[${e.stepId}] rollback failed: ${e.error ?? 'failed'}`;
    case 'execution.blocked':
      return `execution ${e.executionId} blocked: ${e.error.message}`;
    case 'execution.completed':
    case 'execution.failed':
    case 'execution.cancelled':
    case 'execution.timed_out': {
      const why = e.error ? `: ${e.error.message}` : '';
      return `execution ${e.executionId} ${e.status.replace('_', ' ')} in ${e.durationMs} ms${why}`;
    }
    default:
      return undefined;
  }
}

/** Turns `--input k=v` items into an input object, typed after the workflow's declared inputs. */
export function parseInputFlags(items: string[], def: WorkflowDefinition): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new StatorError('invalid_argument', `--input '${item}' is not key=value`);
    const key = item.slice(0, eq);
    const text = item.slice(eq + 1);
    const type = def.inputs?.[key]?.type;
    let value: unknown = text;
    if (type === 'number' && text.trim() !== '' && Number.isFinite(Number(text)))
      value = Number(text);
    else if (type === 'boolean' && (text === 'true' || text === 'false')) value = text === 'true';
    else if (type === 'object' || type === 'array') {
      try {
        value = JSON.parse(text);
      } catch {
        value = text; // the workflow's input validation names the field
      }
    }
    input[key] = value;
  }
  return input;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new StatorError('invalid_argument', `cannot read ${file}: ${(e as Error).message}`);
  }
}

/** `stator run FILE`: registers FILE in an in-process service, runs it and prints its progress. */
export async function runFile(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      input: { type: 'string', short: 'i', multiple: true },
      json: { type: 'boolean' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (out(HELP.run!), 0);
  const file = positionals[0];
  if (file === undefined) return (err(HELP.run!), 2);
  const logger = createLogger({ level: values['log-level'] ?? 'warn', destination: 2 });
  const stator = await createStator({ store: 'memory', logger, rehydrate: false });
  try {
    let workflowId: string;
    let input: Record<string, unknown>;
    try {
      const record = await stator.registerWorkflow(await readText(file));
      workflowId = record.id;
      input = parseInputFlags(values.input ?? [], record.definition);
    } catch (e) {
      return (printError(`invalid workflow ${file}`, e), 2);
    }
    return await runAndReport(stator, workflowId, input, values.json === true);
  } finally {
    await stator.close();
  }
}

async function runAndReport(
  stator: Stator,
  workflowId: string,
  input: Record<string, unknown>,
  json: boolean,
): Promise<number> {
  let finished!: () => void;
  const terminal = new Promise<void>((resolve) => (finished = resolve));
  const sub = stator.subscribe(
    (e) => {
      const line = json ? JSON.stringify(e) : formatEvent(e);
      if (line !== undefined) out(line);
      if (
        e.type.startsWith('execution.') &&
        e.type !== 'execution.started' &&
        e.type !== 'execution.queued'
      )
        finished();
    },
    { filter: { workflowId }, bufferSize: 100_000, name: 'cli-run' },
  );
  let executionId: string;
  try {
    ({ executionId } = await stator.execute(workflowId, input));
  } catch (e) {
    sub.unsubscribe();
    return (printError('cannot start the run', e), 2);
  }
  const cancel = (): void => void stator.cancel(executionId).catch(() => undefined);
  process.once('SIGINT', cancel);
  try {
    const record = await stator.waitForExecution(executionId);
    // Events travel through the monitor asynchronously: give the last ones a moment to arrive.
    await Promise.race([terminal, new Promise((r) => setTimeout(r, 2000).unref())]);
    if (json) out(JSON.stringify(toExecutionDetail(record)));
    if (sub.dropped() > 0) err(`(${sub.dropped()} progress events were dropped)`);
    return record.status === 'completed' ? 0 : 1;
  } finally {
    process.off('SIGINT', cancel);
    sub.unsubscribe();
  }
}

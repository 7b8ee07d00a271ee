/**
 * The `stator` command line: `serve`, `run`, `validate`, `schema` and `machines`.
 * Exit codes: 0 success, 1 a run that did not complete, 2 invalid input or usage.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { serve } from './cli/index.ts';
import { createLogger } from './logger.ts';
import { toExecutionDetail } from './commands/index.ts';
import { createStator, machineInfos, type Stator } from './runtime/index.ts';
import { loadWorkflowFile, workflowJsonSchema, type WorkflowDefinition } from './workflow/index.ts';
import { StatorError, toWire } from './errors.ts';
import type { StampedEvent } from './events.ts';

const HELP: Record<string, string> = {
  main: `Usage: stator <command> [options]

Commands:
  serve              serve the HTTP API and the workflows of a directory
  run FILE           run one workflow file in-process and print its progress
  validate FILE      check a workflow file
  schema             print the JSON Schema of workflow files
  machines [NAME]    list the statecharts, or print one

Run 'stator <command> --help' for the options of a command.`,
  run: `Usage: stator run FILE [--input key=value ...] [--json] [--log-level L]

Registers FILE in an in-process service (memory store), runs it and prints each step's
progress and output lines prefixed by the step id. Values of --input are converted to the
type the workflow declares for that input. --json prints events as JSON lines, then the
final execution record. Exit 0 when the run completed, 1 when it did not, 2 on invalid input.`,
  validate: `Usage: stator validate FILE [--json]

Prints 'ok' or every issue (field path and message). Exit 0 when valid, 2 otherwise.`,
  schema: `Usage: stator schema

Prints the JSON Schema of workflow files (for editors and CI).`,
  machines: `Usage: stator machines [NAME] [--format mermaid|json]

Without NAME lists the statecharts; with NAME prints it as Mermaid (default) or JSON.`,
};

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const err = (line: string): void => void process.stderr.write(`${line}\n`);

/** Prints an error with its field issues to stderr. */
function printError(prefix: string, e: unknown): void {
  const wire = toWire(e);
  err(`${prefix}: ${wire.message}`);
  const issues = (wire.details as { issues?: Array<{ path: string; message: string }> })?.issues;
  for (const i of issues ?? []) err(`  - ${i.path || '(root)'}: ${i.message}`);
}

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

async function runFile(args: string[]): Promise<number> {
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

async function validate(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return (out(HELP.validate!), 0);
  const file = positionals[0];
  if (file === undefined) return (err(HELP.validate!), 2);
  try {
    const def = await loadWorkflowFile(file);
    out(
      values.json
        ? JSON.stringify({ ok: true, id: def.id })
        : `ok: ${def.id} (${def.steps.length} steps)`,
    );
    return 0;
  } catch (e) {
    if (values.json) out(JSON.stringify({ ok: false, error: toWire(e) }));
    else printError(`invalid: ${file}`, e);
    return 2;
  }
}

function machines(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { format: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return (out(HELP.machines!), 0);
  const format = values.format ?? (positionals[0] === undefined ? 'text' : 'mermaid');
  if (!['mermaid', 'json', 'text'].includes(format))
    return (err(`unknown --format '${format}'`), 2);
  const infos = machineInfos();
  const name = positionals[0];
  if (name === undefined) {
    if (format === 'json')
      out(
        JSON.stringify(
          infos.map(({ name: n, description }) => ({ name: n, description })),
          null,
          2,
        ),
      );
    else for (const m of infos) out(`${m.name.padEnd(24)} ${m.description}`);
    return 0;
  }
  const info = infos.find((m) => m.name === name);
  if (!info)
    return (err(`unknown machine '${name}'; known: ${infos.map((m) => m.name).join(', ')}`), 2);
  out(format === 'json' ? JSON.stringify(info, null, 2) : info.mermaid);
  return 0;
}

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest, { out, printError });
      case 'run':
        return await runFile(rest);
      case 'validate':
        return await validate(rest);
      case 'schema':
        if (rest.includes('--help') || rest.includes('-h')) return (out(HELP.schema!), 0);
        return (out(JSON.stringify(workflowJsonSchema(), null, 2)), 0);
      case 'machines':
        return machines(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        return (out(HELP.main!), command === undefined ? 2 : 0);
      default:
        return (err(`unknown command '${command}'\n\n${HELP.main}`), 2);
    }
  } catch (e) {
    // parseArgs rejects unknown flags with a TypeError carrying an ERR_PARSE_ARGS_* code.
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS')) return (err((e as Error).message), 2);
    printError('error', e);
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      printError('fatal', e);
      process.exit(1);
    },
  );
}

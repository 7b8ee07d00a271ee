/**
 * The `stator` command line: `serve`, `run`, `validate`, `schema` and `machines`, and the
 * commands that talk to a running server (`ls`, `logs`, `attach`, `start`/`stop`/`restart`,
 * `exec`, `watch`, `retry`, `artifacts`, `pause`, `resume`, `completion`; src/cli/remote/).
 * Exit codes: 0 success, 1 a run that did not complete, 2 invalid input or usage.
 * Each command's module is imported when that command runs, so `stator --help` and the small
 * commands start without loading the service.
 * @module
 */
import { pathToFileURL } from 'node:url';
import { err, HELP, out, printError } from './cli/index.ts';

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve': {
        const { serve } = await import('./cli/serve.ts');
        return await serve(rest, { out, printError });
      }
      case 'run': {
        const { runFile } = await import('./cli/run-file.ts');
        return await runFile(rest);
      }
      case 'validate': {
        const { validate } = await import('./cli/validate-file.ts');
        return await validate(rest);
      }
      case 'schema': {
        if (rest.includes('--help') || rest.includes('-h')) return (out(HELP.schema!), 0);
        const { workflowJsonSchema } = await import('./workflow/index.ts');
        return (out(JSON.stringify(workflowJsonSchema(), null, 2)), 0);
      }
      case 'machines': {
        const { machines } = await import('./cli/machines-command.ts');
        return machines(rest);
      }
      case 'ls':
        return await (await import('./cli/remote/list-command.ts')).listCommand(rest);
      case 'logs':
        return await (await import('./cli/remote/logs-command.ts')).logsCommand(rest);
      case 'attach':
        return await (await import('./cli/remote/session-control.ts')).attachCommand(rest);
      case 'start':
      case 'stop':
      case 'restart':
        return await (await import('./cli/remote/session-control.ts')).sessionAction(command, rest);
      case 'exec':
        return await (await import('./cli/remote/run-watch.ts')).execCommand(rest);
      case 'watch':
        return await (await import('./cli/remote/run-watch.ts')).watchCommand(rest);
      case 'retry':
        return await (await import('./cli/remote/retry-command.ts')).retryCommand(rest);
      case 'plan':
        return await (await import('./cli/remote/plan-command.ts')).planCommand(rest);
      case 'artifacts':
        return await (await import('./cli/remote/artifacts-command.ts')).artifactsCommand(rest);
      case 'approve':
        return await (await import('./cli/remote/approve-command.ts')).approveCommand(rest);
      case 'pause':
      case 'resume':
        return await (await import('./cli/remote/pause-command.ts')).pauseCommand(command, rest);
      case 'completion':
        return (await import('./cli/remote/completion.ts')).completionCommand(rest);
      case '--version':
      case '-v':
      case 'version': {
        const { STATOR_VERSION } = await import('./version.ts');
        return (out(STATOR_VERSION), 0);
      }
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
    if (code === 'invalid_argument') return (printError('error', e), 2);
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

/**
 * The `stator` command line's shared parts: how it writes and its help texts. Each command lives
 * in its own file and is imported by `src/cli.ts` only when it runs (serve.ts, run-file.ts,
 * validate-file.ts, machines-command.ts), so this index stays light.
 * Exports: out, err, printError, HELP.
 * @module
 */
export { out, err, printError } from './cli-io.ts';
export { HELP } from './help.ts';

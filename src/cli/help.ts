/**
 * The help texts of the `stator` command line (those of `serve` are made from the config table).
 * Kept apart from the commands so that `stator --help` loads nothing else.
 * @module
 */
export const HELP: Record<string, string> = {
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

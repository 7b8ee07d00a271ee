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

Talking to a running server (--url or STATOR_URL, default http://127.0.0.1:8080;
--token or STATOR_API_TOKEN):
  ls                 sessions and the latest runs, as tables
  logs ID [-f]       the output of a run or a session; -f follows it
  attach SESSION     the session's stdin from this terminal, its output live (Ctrl-] detaches)
  start|stop|restart SESSION
  exec WORKFLOW      start a run (--input k=v ...); --watch follows it
  watch EXECUTION    a run's steps, progress and log tail until it ends (exit 0: completed)
  retry EXECUTION    re-run a run from its failure (--from STEP); --watch follows it
  plan FILE          the plan of a workflow file: errors, levels, critical path, findings
  artifacts EXECUTION [NAME]  list a run's artifacts, or download one (-o FILE, --force)
  approve EXECUTION  approve (or --reject) the run's waiting approval step
  pause|resume EXECUTION  hold a run's new steps (running ones finish), or let them start
  completion SHELL   a completion script for bash or zsh

Run 'stator <command> --help' for the options of a command; 'stator --version' prints the version.`,
  run: `Usage: stator run FILE [--input key=value ...] [--json] [--log-level L]

Registers FILE in an in-process service (memory store), runs it and prints each step's
progress and output lines prefixed by the step id. Values of --input are converted to the
type the workflow declares for that input. --json prints events as JSON lines, then the
final execution record. Exit 0 when the run completed, 1 when it did not, 2 on invalid input.`,
  validate: `Usage: stator validate FILE [--json]

Prints 'ok' or every issue (field path and message). Exit 0 when valid, 2 otherwise.`,
  schema: `Usage: stator schema

Prints the JSON Schema of workflow files (for editors and CI).`,
  ls: `Usage: stator ls [--status S] [--limit N] [--json] [--url URL] [--token T]

Prints the sessions and the latest runs of the server (newest first), as tables or JSON.`,
  logs: `Usage: stator logs ID [-f] [--step STEP] [--url URL] [--token T]

Prints the output of a run ('<step> <stream> | line') or of a session ('<stream> | line').
-f keeps printing new lines: until the run ends, or until Ctrl-C for a session.`,
  attach: `Usage: stator attach SESSION [--url URL] [--token T]

Sends this terminal's input to the session's stdin and shows its output live, with the last
lines for context. Ctrl-] detaches; the session runs on. With a piped stdin, the end of the
input detaches after a second. Ends by itself when the session stops.`,
  session: `Usage: stator start|stop|restart SESSION [--url URL] [--token T]

Starts, stops or restarts a session and prints its new status.`,
  exec: `Usage: stator exec WORKFLOW [--input key=value ...] [--watch] [--url URL] [--token T]

Starts a run and prints its id; --watch follows it as 'stator watch' does. Values of --input
are converted to the type the workflow declares. Exit 0 when the run completed (or, without
--watch, was accepted), 1 when it did not, 2 on invalid input.`,
  watch: `Usage: stator watch EXECUTION [--url URL] [--token T]

Follows a run to its end: on a terminal each step's state, a progress bar and the log tail,
redrawn in place; otherwise one line per event. Exit 0 when it completed, 1 otherwise.`,
  retry: `Usage: stator retry EXECUTION [--from STEP] [--latest] [--watch] [--url URL] [--token T]

Starts a new run of a failed, cancelled or timed-out run that keeps the steps that succeeded
(their outputs too; they do not run again) and runs the others. --from STEP runs that step
and everything after it again (a completed run is retried only with --from). The new run
uses the definition the old one ran; --latest takes the workflow's current one (steps that
changed run again). Prints the new run's id; --watch follows it as 'stator watch' does.
Exit 0 when the run completed (or, without --watch, was accepted), 1 when it did not.`,
  plan: `Usage: stator plan FILE [--input JSON] [--json] [--url URL] [--token T]

Asks the server for the plan of a workflow file before running it: every error (definition and
input), the parallel levels, the critical path with estimates from the server's history of the
workflow, and safety findings (destructive commands, production without approval, steps
without a timeout, secrets in argv). --json prints the plan as JSON.
Exit 0 when valid without critical findings, 1 when invalid or a finding is critical.`,
  artifacts: `Usage: stator artifacts EXECUTION [--json] [--url URL] [--token T]
       stator artifacts EXECUTION NAME [-o FILE|DIR] [--force] [--url URL] [--token T]

Without NAME lists the files the run's steps kept as artifacts (name, size, sha256) and the
ones refused, with the reason; --json prints the list as JSON. With NAME (<step>/<path>, as
listed) downloads that file to FILE, into DIR, or by default to its basename in the current
directory. An existing file is never replaced without --force. The bytes are checked against
the size and sha256 the server gives before the file appears under its name.
Exit 0 on success, 1 when the run or the name is unknown or the file exists, 2 on usage.`,
  approve: `Usage: stator approve EXECUTION [--step STEP] [--reject] [--comment TEXT] [--by NAME]
                      [--url URL] [--token T]

Approves the approval step the run waits at (--reject rejects it: the step fails). --step
names the step when several wait. --by is who decides (default: your login name); a step
that names approvers accepts only them. Exit 0 once the server has stored the decision, 1
when it refused it (not waiting, already decided, not an approver).`,
  pause: `Usage: stator pause EXECUTION [--by NAME] [--url URL] [--token T]

Pauses a run: no new step starts until 'stator resume'; steps already running finish. The
run stays paused across server restarts. --by is who pauses (default: your login name).
Pausing a paused run changes nothing. Exit 0 once the server has stored the pause, 1 when it
refused it (unknown or finished run).`,
  resume: `Usage: stator resume EXECUTION [--by NAME] [--url URL] [--token T]

Resumes a paused run: the steps that are ready start (a step with pauseBefore that held the
run starts first). Resuming a run that is not paused changes nothing. Exit 0 once stored, 1
when refused (unknown or finished run).`,
  completion: `Usage: stator completion bash|zsh

Prints a completion script: eval "$(stator completion bash)" in ~/.bashrc.`,
  machines: `Usage: stator machines [NAME] [--format mermaid|json]

Without NAME lists the statecharts; with NAME prints it as Mermaid (default) or JSON.`,
};

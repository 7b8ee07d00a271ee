/**
 * The status a run's record shows after each execution event that changes it, for views that
 * follow a run from its events (the CLI's `watch`, the dashboard's run page). A paused run stays
 * `running` (with `paused` in its record); progress and step events change no status. Pure: the
 * dashboard bundle imports it too.
 * @module
 */
const RUN_STATUS_AFTER: Readonly<Record<string, string>> = {
  'execution.queued': 'pending',
  'execution.started': 'running',
  'execution.paused': 'running',
  'execution.resumed': 'running',
  'execution.rolling_back': 'rolling_back',
  'execution.completed': 'completed',
  'execution.failed': 'failed',
  'execution.cancelled': 'cancelled',
  'execution.timed_out': 'timed_out',
  'execution.blocked': 'blocked',
};

/** The run status after an event of `type`, or undefined when the event changes none. */
export function runStatusAfter(type: string): string | undefined {
  return RUN_STATUS_AFTER[type];
}

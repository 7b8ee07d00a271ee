/**
 * The process-host keys of session processes: `session:<sessionId>:<launch>`, one per launch, so
 * a restart of a session never meets the process of an earlier launch under its key.
 * @module
 */

const PREFIX = 'session:';

/** The host key of launch `launch` of session `sessionId`. */
export function sessionHostKey(sessionId: string, launch: number): string {
  return `${PREFIX}${sessionId}:${launch}`;
}

/** The session and launch a host key names; undefined for keys that are not a session's. */
export function parseSessionHostKey(
  key: string,
): { sessionId: string; launch: number } | undefined {
  if (!key.startsWith(PREFIX)) return undefined;
  const sep = key.lastIndexOf(':');
  const sessionId = key.slice(PREFIX.length, sep);
  const launch = Number(key.slice(sep + 1));
  if (sessionId === '' || !Number.isInteger(launch) || launch < 1) return undefined;
  return { sessionId, launch };
}

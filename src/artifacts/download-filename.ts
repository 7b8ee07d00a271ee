/**
 * What an artifact is saved as when downloaded: the server's Content-Disposition filename, the
 * CLI's default output file and the dashboard's save name. No imports: the dashboard bundle
 * takes it as it is.
 * @module
 */

/** A filename safe for a Content-Disposition header: the last segment, ASCII-safe. */
export function downloadFilename(name: string): string {
  const last = name.split('/').pop() ?? 'artifact';
  const safe = last.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return safe.length === 0 ? 'artifact' : safe.slice(0, 200);
}

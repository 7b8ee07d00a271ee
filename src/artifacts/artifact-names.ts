/**
 * Artifact names: `<stepId>/<path>` with `/` separators, no empty, `.` or `..` segment, no
 * backslash or NUL. Every store checks a name with `checkArtifactName` before it touches
 * anything, so a name from a request can never leave the run's space.
 * @module
 */
import { MAX_ARTIFACT_NAME_LENGTH } from './types.ts';

/** True when `name` is a well-formed artifact name. */
export function isArtifactName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_ARTIFACT_NAME_LENGTH) return false;
  if (name.includes('\0') || name.includes('\\')) return false;
  const segments = name.split('/');
  if (segments.length < 2) return false;
  return segments.every((s) => s !== '' && s !== '.' && s !== '..');
}

/** The artifact name of `relPath` (relative, `/`-separated) kept by `stepId`. */
export function artifactName(stepId: string, relPath: string): string {
  return `${stepId}/${relPath}`;
}

export { downloadFilename } from './download-filename.ts';

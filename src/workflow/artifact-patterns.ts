/**
 * What a step's `artifacts:` may name, checked at registration: paths or globs (`*`, `?`, `**`)
 * relative to the step's working directory, `/`-separated. Absolute paths, `..` segments,
 * backslashes and NUL are refused, so no pattern can reach outside the directory by its text
 * (symlinks are dealt with when the files are collected, src/artifacts/collect-artifacts.ts).
 * @module
 */
import { z } from 'zod';

/** Patterns one step may declare. */
export const MAX_ARTIFACT_PATTERNS = 32;
/** Characters of one pattern. */
export const MAX_ARTIFACT_PATTERN_LENGTH = 1024;

/** Why `pattern` cannot be an artifact pattern, or undefined when it can. */
export function artifactPatternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return 'must not be empty';
  if (pattern.length > MAX_ARTIFACT_PATTERN_LENGTH) {
    return `must be at most ${MAX_ARTIFACT_PATTERN_LENGTH} characters`;
  }
  if (pattern.includes('\0')) return 'must not contain NUL';
  if (pattern.includes('\\')) return "must use '/' as separator (no backslash)";
  if (pattern.startsWith('/') || /^[A-Za-z]:/.test(pattern)) {
    return "must be relative to the step's working directory (no absolute path)";
  }
  const segments = pattern.split('/');
  if (segments.includes('..')) return "must not contain '..'";
  if (segments.every((s) => s === '' || s === '.')) return 'must name files, not the directory';
  return undefined;
}

/** The `artifacts:` field of a step. */
export const artifactsSchema = z
  .array(
    z.string().superRefine((p, ctx) => {
      const problem = artifactPatternProblem(p);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
  )
  .min(1, 'list at least one path or glob')
  .max(MAX_ARTIFACT_PATTERNS, `at most ${MAX_ARTIFACT_PATTERNS} patterns per step`)
  .describe(
    "Files kept after the step's process ends (exit 0 or not; not when it is cancelled or times out): paths or globs (*, ?, **) relative to the step's working directory. Listed in the record and downloadable from GET /api/executions/{id}/artifacts/{stepId}/{path}. Bounded per file and per run; symlinks leading outside the directory and non-regular files are refused.",
  );

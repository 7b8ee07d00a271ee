/**
 * How the command line writes: lines to stdout and stderr, and errors with their field issues.
 * @module
 */
import { toWire } from '../errors.ts';

/** Writes one line to stdout. */
export const out = (line: string): void => void process.stdout.write(`${line}\n`);
/** Writes one line to stderr. */
export const err = (line: string): void => void process.stderr.write(`${line}\n`);

/** Prints an error with its field issues to stderr. */
export function printError(prefix: string, e: unknown): void {
  const wire = toWire(e);
  err(`${prefix}: ${wire.message}`);
  const issues = (wire.details as { issues?: Array<{ path: string; message: string }> })?.issues;
  for (const i of issues ?? []) err(`  - ${i.path || '(root)'}: ${i.message}`);
}

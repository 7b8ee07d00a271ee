/**
 * The reported crash, replayed where it happened: a fresh process (cold regular expressions)
 * serving HTTP gets nested `[` YAML bodies, twice each, on POST /api/sessions and
 * /api/workflows. The `yaml` package's composer recursed once per `[`, caught the stack
 * overflow and went on with a regular expression at the bottom of a full stack; the second
 * body made V8 tier that expression up to native code there, and V8 aborts the process when
 * its regexp compiler runs out of stack ("FATAL ERROR: RegExpCompiler Allocation failed").
 * Now the depth bound stops the parse at 64 levels: the process answers 400 and exits 0.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CHILD = join(import.meta.dirname, 'deep-yaml-child.ts');

describe('nested YAML against a fresh server process', () => {
  it('answers every body 400 input_bounds and the process survives', async () => {
    const result = await execa(process.execPath, ['--import', 'tsx', CHILD], {
      cwd: ROOT,
      reject: false,
      timeout: 60_000,
    });
    expect(result.stderr).not.toMatch(/FATAL ERROR/);
    expect(result.exitCode, result.stderr.slice(-2000)).toBe(0);
    const answers = JSON.parse(result.stdout.trim().split('\n').pop()!) as Array<{
      status: number;
      code: string;
      bound: string;
    }>;
    expect(answers).toHaveLength(20);
    for (const answer of answers) {
      expect(answer).toMatchObject({ status: 400, code: 'input_bounds', bound: 'depth' });
    }
  }, 60_000);
});

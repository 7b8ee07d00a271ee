/**
 * Where a step attempt's outputs come from, on disk and on stdout. Each attempt of a process
 * step gets its own file under the data directory (`$STATOR_OUTPUT`, named by execution, step
 * and attempt, so an attempt re-attached after a restart finds the same file); it is read once
 * the process has exited 0, then removed, whatever it held. An `outputs: json` step's stdout is
 * collected as it is read, up to the bound.
 * @module
 */
import { mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  MAX_OUTPUT_BYTES,
  parseOutputFile,
  parseOutputJson,
  type ParsedOutputs,
} from '../workflow/index.ts';

/** Creates `dir` on first use (a service that never runs a process step never makes it). */
export function lazyDirectory(dir: string): () => Promise<string> {
  let made: Promise<string> | undefined;
  return () => {
    made ??= mkdir(dir, { recursive: true }).then(
      () => dir,
      (err: unknown) => {
        made = undefined;
        throw err;
      },
    );
    return made;
  };
}

/** The output file of one attempt (ids are subject tokens: no `/`, no `..`). */
export function outputFilePath(
  dir: string,
  executionId: string,
  stepId: string,
  attempt: number,
): string {
  return join(dir, `${executionId}.${stepId}.${attempt}`);
}

/** Reads and removes an attempt's output file; undefined when the step wrote none. */
export async function takeOutputFile(path: string): Promise<ParsedOutputs | undefined> {
  let text: string;
  try {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      if (size > MAX_OUTPUT_BYTES) {
        return {
          ok: false,
          error: `outputs: $STATOR_OUTPUT holds ${size} bytes; at most ${MAX_OUTPUT_BYTES} are kept per step`,
        };
      }
      text = await file.readFile('utf8');
    } finally {
      await file.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { ok: false, error: `outputs: cannot read $STATOR_OUTPUT: ${(err as Error).message}` };
  } finally {
    await unlink(path).catch(() => undefined);
  }
  return parseOutputFile(text);
}

/** Removes an attempt's output file, if any (a failed or stopped attempt's outputs count for nothing). */
export async function dropOutputFile(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/** Collects stdout lines of an `outputs: json` step, up to MAX_OUTPUT_BYTES. */
export class StdoutOutputs {
  readonly #lines: string[] = [];
  #bytes = 0;
  #over = false;

  add(line: string): void {
    if (this.#over) return;
    this.#bytes += Buffer.byteLength(line) + 1;
    if (this.#bytes > MAX_OUTPUT_BYTES) {
      this.#over = true;
      this.#lines.length = 0;
      return;
    }
    this.#lines.push(line);
  }

  parse(): ParsedOutputs {
    if (this.#over) {
      return {
        ok: false,
        error: `outputs: stdout holds more than ${MAX_OUTPUT_BYTES} bytes, the most kept per step`,
      };
    }
    return parseOutputJson(this.#lines.join('\n'));
  }
}

// Generated from line-splitter.js: see test/unit/host/declarations.test.ts. Do not edit.
/** The text appended to a line that was cut at the length bound (as in src/exec). */
export function truncationMarker(droppedChars: number): string;
/**
 * Turns string chunks into lines. `\n` and `\r\n` end a line (the terminator is not part of
 * it); a lone `\r` stays. A line longer than `maxLineLength` UTF-16 code units keeps its head
 * and is emitted with `truncationMarker(dropped)` appended. `end()` emits an unfinished line.
 */
export class LineSplitter {
  /**
   * @param {number} maxLineLength
   * @param {(line: string) => void} emit
   */
  constructor(maxLineLength: number, emit: (line: string) => void);
  /** Feeds one chunk; emits every line it completes. */
  push(chunk: string): void;
  /** Emits the unfinished line, if any. The splitter can be reused afterwards. */
  end(): void;
  /** The unfinished line so far (its kept head; a trailing `\r` removed). */
  get pending(): string;
}

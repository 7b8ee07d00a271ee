/**
 * Splits decoded text chunks into lines without buffering more than one bounded line.
 * @module
 */

const CR = 13;

/** The text appended to a line that was cut at the length bound. */
export function truncationMarker(droppedChars: number): string {
  return ` …[truncated ${droppedChars} chars]`;
}

/**
 * Turns a stream of string chunks into lines. `\n` and `\r\n` end a line (the terminator is
 * not part of it); a lone `\r` stays in the line. A line longer than `maxLineLength` UTF-16
 * code units keeps its head, drops the rest until the next newline, and is emitted with
 * `truncationMarker(dropped)` appended. `end()` emits a final line that had no newline.
 */
export class LineSplitter {
  readonly #max: number;
  readonly #emit: (line: string) => void;
  #partial = '';
  #dropped = 0;
  #droppedEndsWithCr = false;

  constructor(maxLineLength: number, emit: (line: string) => void) {
    if (!Number.isInteger(maxLineLength) || maxLineLength < 1) {
      throw new RangeError(`maxLineLength must be a positive integer, got ${maxLineLength}`);
    }
    this.#max = maxLineLength;
    this.#emit = emit;
  }

  /** Feeds one chunk; emits every line it completes. */
  push(chunk: string): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      if (nl === -1) {
        this.#append(chunk, start, chunk.length);
        return;
      }
      this.#append(chunk, start, nl);
      this.#flush();
      start = nl + 1;
    }
  }

  /** Emits the pending partial line, if any. The splitter can be reused afterwards. */
  end(): void {
    if (this.#partial.length > 0 || this.#dropped > 0) this.#flush();
  }

  #append(chunk: string, from: number, to: number): void {
    if (from >= to) return;
    const room = this.#max - this.#partial.length;
    if (this.#dropped > 0 || to - from > room) {
      const cut = this.#dropped > 0 ? from : safeCut(chunk, from + room);
      if (cut > from) this.#partial += chunk.slice(from, cut);
      this.#dropped += to - cut;
      this.#droppedEndsWithCr = chunk.charCodeAt(to - 1) === CR;
      return;
    }
    this.#partial += from === 0 && to === chunk.length ? chunk : chunk.slice(from, to);
  }

  #flush(): void {
    let line = this.#partial;
    let dropped = this.#dropped;
    if (dropped > 0) {
      // The `\r` of a `\r\n` terminator is not content: do not count it as dropped.
      if (this.#droppedEndsWithCr) dropped -= 1;
      if (dropped > 0) line += truncationMarker(dropped);
    } else if (line.charCodeAt(line.length - 1) === CR) {
      line = line.slice(0, -1);
    }
    this.#partial = '';
    this.#dropped = 0;
    this.#droppedEndsWithCr = false;
    this.#emit(line);
  }
}

/** Moves a cut index back by one if it would split a UTF-16 surrogate pair. */
function safeCut(text: string, index: number): number {
  const before = text.charCodeAt(index - 1);
  return before >= 0xd800 && before <= 0xdbff ? index - 1 : index;
}

// @ts-check
/**
 * Bounded line splitting for the host: the same rules as src/exec/line-splitter.ts (the host runs
 * on bare `node` and cannot import TypeScript; test/unit/host/line-splitter.test.ts feeds both the
 * same input and expects the same lines), plus a view of the unfinished line for prompts.
 * @module
 */

const CR = 13;

/** The text appended to a line that was cut at the length bound (as in src/exec). */
export function truncationMarker(/** @type {number} */ droppedChars) {
  return ` …[truncated ${droppedChars} chars]`;
}

/**
 * Turns string chunks into lines. `\n` and `\r\n` end a line (the terminator is not part of
 * it); a lone `\r` stays. A line longer than `maxLineLength` UTF-16 code units keeps its head
 * and is emitted with `truncationMarker(dropped)` appended. `end()` emits an unfinished line.
 */
export class LineSplitter {
  #max;
  #emit;
  #partial = '';
  #dropped = 0;
  #droppedEndsWithCr = false;

  /**
   * @param {number} maxLineLength
   * @param {(line: string) => void} emit
   */
  constructor(maxLineLength, emit) {
    if (!Number.isInteger(maxLineLength) || maxLineLength < 1) {
      throw new RangeError(`maxLineLength must be a positive integer, got ${maxLineLength}`);
    }
    this.#max = maxLineLength;
    this.#emit = emit;
  }

  /** Feeds one chunk; emits every line it completes. */
  push(/** @type {string} */ chunk) {
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

  /** Emits the unfinished line, if any. The splitter can be reused afterwards. */
  end() {
    if (this.#partial.length > 0 || this.#dropped > 0) this.#flush();
  }

  /** The unfinished line so far (its kept head; a trailing `\r` removed). */
  get pending() {
    const p = this.#partial;
    return p.charCodeAt(p.length - 1) === CR ? p.slice(0, -1) : p;
  }

  /**
   * @param {string} chunk
   * @param {number} from
   * @param {number} to
   */
  #append(chunk, from, to) {
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

  #flush() {
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

/**
 * Moves a cut index back by one if it would split a UTF-16 surrogate pair.
 * @param {string} text
 * @param {number} index
 */
function safeCut(text, index) {
  const before = text.charCodeAt(index - 1);
  return before >= 0xd800 && before <= 0xdbff ? index - 1 : index;
}

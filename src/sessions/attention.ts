/**
 * Telling that a session waits for a person: its attention prompt tested against the latest
 * output, which is the partial last line when there is one (a prompt usually has no newline
 * after it), else the last complete line. Terminal escape sequences (colours, cursor moves) are
 * removed first, and only a bounded tail is ever tested.
 * @module
 */

/** Longest tail of the latest output that is kept and tested. */
export const MAX_TESTED_CHARS = 4096;

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), and two-character escapes.
const ESCAPES =
  // eslint-disable-next-line no-control-regex
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-_]/g;

/** Removes terminal escape sequences. */
export function stripEscapes(text: string): string {
  return text.includes('\u001b') ? text.replace(ESCAPES, '') : text;
}

/** A predicate on the latest output, or one that never matches when there is no prompt rule. */
export function promptMatcher(prompt: string | undefined): (latest: string) => boolean {
  if (prompt === undefined) return () => false;
  const re = new RegExp(prompt);
  return (latest) => re.test(stripEscapes(latest));
}

/** Follows one output stream's chunks and knows its latest output. */
export class LatestOutput {
  #partial = '';
  #lastLine = '';

  /** Takes a chunk (after its complete lines went to the line splitter). */
  push(chunk: string): void {
    const nl = chunk.lastIndexOf('\n');
    if (nl === -1) {
      this.#partial = tail(this.#partial + chunk);
      return;
    }
    const head = chunk.slice(0, nl);
    const prev = head.lastIndexOf('\n');
    // The last complete line: what follows the newline before it, or the old partial line.
    const line = prev === -1 ? this.#partial + head : head.slice(prev + 1);
    this.#lastLine = tail(line).replace(/\r$/, '');
    this.#partial = tail(chunk.slice(nl + 1));
  }

  /** Takes the partial line as complete (it was emitted as a line of its own). */
  endLine(): void {
    if (this.#partial.length === 0) return;
    this.#lastLine = this.#partial.replace(/\r$/, '');
    this.#partial = '';
  }

  /** The partial last line when there is one, else the last complete line. */
  get latest(): string {
    return this.#partial.length > 0 ? this.#partial.replace(/\r$/, '') : this.#lastLine;
  }
}

function tail(text: string): string {
  return text.length > MAX_TESTED_CHARS ? text.slice(-MAX_TESTED_CHARS) : text;
}

/**
 * A session's recent output: a ring of the last lines, bounded by count and by size, each line
 * numbered (`seq`, from 1, never reused while the session lives) so a reader can resume after the
 * last line it saw. In memory only: output is for watching, not for the record. Numbers increase
 * but may skip (a line given its own number, e.g. output of a process-host spool, which also
 * numbers the lines a restarted server finds again the same way).
 * @module
 */
import type { SessionLogLine } from './types.ts';

/** The bounded line buffer of one session. */
export class OutputBuffer {
  readonly #lines: SessionLogLine[] = [];
  /** Index of the oldest kept line in #lines (the array is compacted now and then). */
  #head = 0;
  #chars = 0;
  #seq = 0;

  constructor(
    private readonly maxLines: number,
    private readonly maxChars: number,
  ) {}

  /** Sequence number of the newest line (0 before any). */
  get lastSeq(): number {
    return this.#seq;
  }

  /** Lines kept. */
  get size(): number {
    return this.#lines.length - this.#head;
  }

  /**
   * Appends a line and returns it with its sequence number: the next one, or `seq` when that is
   * higher (the numbers in between are skipped).
   */
  push(stream: SessionLogLine['stream'], line: string, ts: string, seq = 0): SessionLogLine {
    this.#seq = Math.max(this.#seq + 1, seq);
    const entry: SessionLogLine = { seq: this.#seq, stream, line, ts };
    this.#lines.push(entry);
    this.#chars += line.length;
    while (this.size > this.maxLines || (this.#chars > this.maxChars && this.size > 1)) {
      this.#chars -= this.#lines[this.#head]!.line.length;
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#lines.length) {
      this.#lines.splice(0, this.#head);
      this.#head = 0;
    }
    return entry;
  }

  /** Kept lines with `seq > since`, oldest first, at most `limit`. */
  since(since = 0, limit = Number.POSITIVE_INFINITY): SessionLogLine[] {
    // Binary search for the first kept line after `since` (numbers increase, maybe with gaps).
    let lo = this.#head;
    let hi = this.#lines.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#lines[mid]!.seq <= since) lo = mid + 1;
      else hi = mid;
    }
    const to = Math.min(this.#lines.length, lo + limit);
    return lo >= to ? [] : this.#lines.slice(lo, to).map((l) => ({ ...l }));
  }
}

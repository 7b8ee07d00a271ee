/**
 * A session's recent output: a ring of the last lines, bounded by count and by size, each line
 * numbered (`seq`, from 1, never reused while the session lives) so a reader can resume after the
 * last line it saw. In memory only: output is for watching, not for the record.
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

  /** Appends a line and returns it with its sequence number. */
  push(stream: SessionLogLine['stream'], line: string, ts: string): SessionLogLine {
    const entry: SessionLogLine = { seq: ++this.#seq, stream, line, ts };
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
    const oldest = this.#lines[this.#head]?.seq ?? this.#seq + 1;
    const from = this.#head + Math.max(0, since + 1 - oldest);
    const to = Math.min(this.#lines.length, from + limit);
    return from >= to ? [] : this.#lines.slice(from, to).map((l) => ({ ...l }));
  }
}

// @ts-check
/**
 * A process's output on disk, bounded. Lines of both streams go, in order, to segment files
 * `<id>.<firstOffset>` (one record a line: `o` or `e`, the text, `\n`; a line never holds a
 * newline, the splitter cut there). When the current segment reaches half the bound a new one
 * starts and, if two exist, the oldest is deleted: at most `maxBytes` (plus one line) stay on
 * disk, and the lines dropped are exactly those below `firstOffset`.
 *
 * Writes are synchronous appends (one write(2) per chunk of output, no fsync): they survive a
 * crash of the host or the server, which is what re-attachment needs; a machine crash takes the
 * processes with it. No file exists until the first line.
 * @module
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** @import { OutputLine } from './protocol-types.ts' */

/** Default bound of one process's spool on disk. */
export const DEFAULT_SPOOL_BYTES = 4 * 1024 * 1024;

/** @typedef {{ first: number; count: number; bytes: number; file: string }} Segment */

/** The file-name stem of a key's spool: a hash, so no key can name a path. */
export function spoolId(/** @type {string} */ key) {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

/** One process's spool. */
export class Spool {
  #dir;
  #id;
  #segmentBytes;
  /** @type {Segment[]} */
  #segments = [];
  #fd = -1;
  #next = 0;

  /**
   * @param {string} dir
   * @param {string} key
   * @param {number} maxBytes
   */
  constructor(dir, key, maxBytes) {
    this.#dir = dir;
    this.#id = spoolId(key);
    this.#segmentBytes = Math.max(1, Math.floor(maxBytes / 2));
  }

  /**
   * The spool a previous host left for `key` (offsets read back from its segment files).
   * @param {string} dir
   * @param {string} key
   * @param {number} maxBytes
   * @param {string[]} [names] the directory listing, when the caller has it already
   */
  static recover(dir, key, maxBytes, names) {
    const spool = new Spool(dir, key, maxBytes);
    spool.#segments = listSegments(dir, spool.#id, names);
    const last = spool.#segments.at(-1);
    spool.#next = last === undefined ? 0 : last.first + last.count;
    return spool;
  }

  /** The oldest offset still on disk; lines below it were dropped at the bound. */
  get firstOffset() {
    return this.#segments[0]?.first ?? this.#next;
  }

  /** The offset the next line will get. */
  get nextOffset() {
    return this.#next;
  }

  /**
   * Appends lines, in one write unless they cross a segment boundary; returns the offset of the
   * first. (Segment sizes are counted in characters before encoding, exact for ASCII.)
   */
  append(/** @type {OutputLine[]} */ lines) {
    const offset = this.#next;
    for (let start = 0; start < lines.length;) {
      let seg = this.#segments.at(-1);
      if (seg === undefined || this.#fd === -1 || seg.bytes >= this.#segmentBytes) {
        seg = this.#rotate();
      }
      let room = this.#segmentBytes - seg.bytes;
      let text = '';
      let end = start;
      do {
        const [stream, line] = /** @type {OutputLine} */ (lines[end++]);
        text += `${stream === 'stdout' ? 'o' : 'e'}${line}\n`;
        room -= line.length + 2;
      } while (end < lines.length && room > 0);
      this.#write(seg, text, end - start);
      start = end;
    }
    return offset;
  }

  /**
   * Up to about `maxChars` of lines from `fromOffset` on (at least one line when there is one).
   * `skipped` counts wanted lines that are no longer on disk, `offset` is that of `lines[0]`.
   * @param {number} fromOffset
   * @param {number} maxChars
   * @returns {{ offset: number; skipped: number; lines: OutputLine[] }}
   */
  read(fromOffset, maxChars) {
    /** @type {OutputLine[]} */
    const lines = [];
    let offset = -1;
    let chars = 0;
    for (const seg of this.#segments) {
      if (seg.first + seg.count <= fromOffset) continue;
      if (offset !== -1 && seg.first !== offset + lines.length) break; // a gap: next read
      const start = Math.max(fromOffset, seg.first);
      if (offset === -1) offset = start;
      const records = readRecords(seg.file, start - seg.first, seg.count);
      for (const r of records) {
        if (chars >= maxChars && lines.length > 0)
          return { offset, skipped: offset - fromOffset, lines };
        lines.push([r.charCodeAt(0) === 111 ? 'stdout' : 'stderr', r.slice(1)]);
        chars += r.length;
      }
    }
    if (offset === -1) offset = Math.max(fromOffset, this.#next);
    return { offset, skipped: Math.max(0, offset - fromOffset), lines };
  }

  /** Closes the file (the process ended); the segments stay readable. */
  close() {
    this.#closeFd();
  }

  /** Deletes every segment. */
  remove() {
    this.#closeFd();
    for (const seg of this.#segments) rmSync(seg.file, { force: true });
    this.#segments = [];
  }

  /**
   * @param {Segment} seg
   * @param {string} text
   * @param {number} count
   */
  #write(seg, text, count) {
    const buf = Buffer.from(text, 'utf8');
    this.#next += count;
    try {
      let done = 0;
      while (done < buf.length) done += writeSync(this.#fd, buf, done);
      seg.count += count;
      seg.bytes += buf.length;
    } catch {
      // Disk full or gone: these lines are lost. A new segment starts after them, so offsets
      // stay true and a reader sees the gap as skipped lines.
      this.#closeFd();
    }
  }

  #rotate() {
    this.#closeFd();
    if (this.#segments.length >= 2) {
      const oldest = /** @type {Segment} */ (this.#segments.shift());
      rmSync(oldest.file, { force: true });
    }
    const file = join(this.#dir, `${this.#id}.${this.#next}`);
    this.#fd = openSync(file, 'a', 0o600);
    /** @type {Segment} */
    const seg = { first: this.#next, count: 0, bytes: 0, file };
    this.#segments.push(seg);
    return seg;
  }

  #closeFd() {
    if (this.#fd === -1) return;
    try {
      closeSync(this.#fd);
    } catch {
      // already closed
    }
    this.#fd = -1; // the next append opens a new segment at the next offset
  }
}

/**
 * Records `from` .. `count` of a segment file (fewer if the file is shorter).
 * @param {string} file
 * @param {number} from
 * @param {number} count
 */
function readRecords(file, from, count) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const records = text.split('\n');
  return records.slice(from, Math.min(count, records.length - 1));
}

/**
 * The segments of spool `id` in `dir`, oldest first, with their line counts.
 * @param {string} dir
 * @param {string} id
 * @param {string[]} [names]
 * @returns {Segment[]}
 */
function listSegments(dir, id, names) {
  let listing = names;
  if (listing === undefined) {
    try {
      listing = readdirSync(dir);
    } catch {
      return [];
    }
  }
  const prefix = `${id}.`;
  /** @type {Segment[]} */
  const segments = [];
  for (const name of listing) {
    if (!name.startsWith(prefix)) continue;
    const first = Number(name.slice(prefix.length));
    if (!Number.isSafeInteger(first)) continue;
    const file = join(dir, name);
    let bytes = 0;
    let count = 0;
    try {
      const buf = readFileSync(file);
      bytes = buf.length;
      for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) count++;
    } catch {
      continue;
    }
    segments.push({ first, count, bytes, file });
  }
  return segments.sort((a, b) => a.first - b.first);
}

// Generated from spool.js: see test/unit/host/declarations.test.ts. Do not edit.
/** @typedef {{ first: number; count: number; bytes: number; file: string }} Segment */
/** The file-name stem of a key's spool: a hash, so no key can name a path. */
export function spoolId(key: string): string;
/** @import { OutputLine } from './protocol-types.ts' */
/** Default bound of one process's spool on disk. */
export const DEFAULT_SPOOL_BYTES: number;
/** One process's spool. */
export class Spool {
  /**
   * The spool a previous host left for `key` (offsets read back from its segment files).
   * @param {string} dir
   * @param {string} key
   * @param {number} maxBytes
   * @param {string[]} [names] the directory listing, when the caller has it already
   */
  static recover(dir: string, key: string, maxBytes: number, names?: string[]): Spool;
  /**
   * @param {string} dir
   * @param {string} key
   * @param {number} maxBytes
   */
  constructor(dir: string, key: string, maxBytes: number);
  /** The oldest offset still on disk; lines below it were dropped at the bound. */
  get firstOffset(): number;
  /** The offset the next line will get. */
  get nextOffset(): number;
  /**
   * Appends lines, in one write unless they cross a segment boundary; returns the offset of the
   * first. (Segment sizes are counted in characters before encoding, exact for ASCII.)
   */
  append(lines: OutputLine[]): number;
  /**
   * Up to about `maxChars` of lines from `fromOffset` on (at least one line when there is one).
   * `skipped` counts wanted lines that are no longer on disk, `offset` is that of `lines[0]`.
   * @param {number} fromOffset
   * @param {number} maxChars
   * @returns {{ offset: number; skipped: number; lines: OutputLine[] }}
   */
  read(
    fromOffset: number,
    maxChars: number,
  ): {
    offset: number;
    skipped: number;
    lines: OutputLine[];
  };
  /** Closes the file (the process ended); the segments stay readable. */
  close(): void;
  /** Deletes every segment. */
  remove(): void;
}
export type Segment = {
  first: number;
  count: number;
  bytes: number;
  file: string;
};
import type { OutputLine } from './protocol-types.ts';

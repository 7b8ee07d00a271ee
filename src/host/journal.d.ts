// Generated from journal.js: see test/unit/host/declarations.test.ts. Do not edit.
/**
 * Reads and folds `file` (missing: empty).
 * @param {string} file
 * @returns {JournalState}
 */
export function readJournal(file: string): JournalState;
/**
 * Folds journal text into the held processes and the last sequence number of each instance.
 * @param {string} text
 * @returns {JournalState}
 */
export function foldJournal(text: string): JournalState;
/** An open journal. */
export class Journal {
  /** Opens (creating) `file` for appending. */
  constructor(file: string);
  /** Records appended since the file was opened or last rewritten. */
  get appended(): number;
  /** Appends one record with a single write. */
  append(record: JournalRecord): void;
  /** Replaces the whole file with `records`, atomically. */
  rewrite(records: JournalRecord[]): void;
  /** Closes the file. */
  close(): void;
}
import type { JournalState } from './protocol-types.ts';
import type { JournalRecord } from './protocol-types.ts';

// @ts-check
/**
 * The host's journal, `<dataDir>/host/journal`: one JSON record a line, appended with one
 * synchronous write(2) each (no fsync), so a record is in the kernel before the host does
 * anything else and survives the death of the host or the server. Folding the records gives
 * every held process (spawned, exited, lost; released ones drop out) and, per host instance,
 * the last spawn sequence number recorded, which tells the reaper which marked processes never
 * got a record. The file is rewritten (new file, fsync, rename) when it holds mostly dead
 * records. A torn last line (a host killed mid-write) is skipped when read.
 * @module
 */
import { Buffer } from 'node:buffer';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { z } from 'zod';

/** @import { JournalRecord, JournalState, JournalEntry } from './protocol-types.ts' */

const exitInfo = z.object({
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  cancelled: z.boolean(),
  spawnError: z.string().nullable(),
  endedAt: z.number(),
  durationMs: z.number(),
});

/** @type {z.ZodType<JournalRecord>} */
const recordSchema = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('spawn'),
    key: z.string(),
    pid: z.number().int().positive(),
    startTime: z.string().nullable(),
    boot: z.string().nullable(),
    instance: z.string(),
    seq: z.number().int().min(0),
    at: z.number(),
    deadlineAt: z.number().nullable(),
  }),
  z.object({ t: z.literal('exit'), key: z.string(), exit: exitInfo }),
  z.object({
    t: z.literal('lost'),
    key: z.string(),
    lost: z.object({ killed: z.boolean(), at: z.number() }),
  }),
  z.object({ t: z.literal('release'), key: z.string() }),
  z.object({
    t: z.literal('host'),
    instance: z.string(),
    boot: z.string().nullable(),
    seq: z.number().int().min(0),
  }),
]);

/** An open journal. */
export class Journal {
  #file;
  #fd;
  #appended = 0;

  /** Opens (creating) `file` for appending. */
  constructor(/** @type {string} */ file) {
    this.#file = file;
    this.#fd = openSync(file, 'a', 0o600);
  }

  /** Records appended since the file was opened or last rewritten. */
  get appended() {
    return this.#appended;
  }

  /** Appends one record with a single write. */
  append(/** @type {JournalRecord} */ record) {
    writeAll(this.#fd, `${JSON.stringify(record)}\n`);
    this.#appended++;
  }

  /** Replaces the whole file with `records`, atomically. */
  rewrite(/** @type {JournalRecord[]} */ records) {
    const tmp = `${this.#file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeAll(fd, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.#file);
    closeSync(this.#fd);
    this.#fd = openSync(this.#file, 'a', 0o600);
    this.#appended = records.length;
  }

  /** Closes the file. */
  close() {
    closeSync(this.#fd);
  }
}

/**
 * Reads and folds `file` (missing: empty).
 * @param {string} file
 * @returns {JournalState}
 */
export function readJournal(file) {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // no journal yet
  }
  return foldJournal(text);
}

/**
 * Folds journal text into the held processes and the last sequence number of each instance.
 * @param {string} text
 * @returns {JournalState}
 */
export function foldJournal(text) {
  /** @type {Map<string, JournalEntry>} */
  const entries = new Map();
  /** @type {Map<string, number>} */
  const seqs = new Map();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let parsed;
    try {
      parsed = recordSchema.safeParse(JSON.parse(line));
    } catch {
      continue; // a torn line
    }
    if (!parsed.success) continue;
    const r = parsed.data;
    if (r.t === 'host' || r.t === 'spawn') {
      seqs.set(r.instance, Math.max(seqs.get(r.instance) ?? 0, r.seq));
    }
    if (r.t === 'host') continue;
    if (r.t === 'release') {
      entries.delete(r.key);
      continue;
    }
    if (r.t === 'spawn') {
      entries.set(r.key, {
        key: r.key,
        state: 'running',
        pid: r.pid,
        startTime: r.startTime,
        boot: r.boot,
        instance: r.instance,
        seq: r.seq,
        startedAt: r.at,
        deadlineAt: r.deadlineAt,
        exit: null,
        lost: null,
      });
      continue;
    }
    const entry = entries.get(r.key) ?? neverStarted(r.key);
    entries.set(r.key, entry);
    if (r.t === 'exit') {
      entry.state = 'exited';
      entry.exit = r.exit;
    } else if (entry.state === 'running') {
      entry.state = 'lost';
      entry.lost = r.lost;
    }
  }
  return { entries, seqs };
}

/** @returns {JournalEntry} */
function neverStarted(/** @type {string} */ key) {
  return {
    key,
    state: 'running',
    pid: null,
    startTime: null,
    boot: null,
    instance: null,
    seq: 0,
    startedAt: 0,
    deadlineAt: null,
    exit: null,
    lost: null,
  };
}

/**
 * Writes all of `text` (write(2) may write less than asked).
 * @param {number} fd
 * @param {string} text
 */
function writeAll(fd, text) {
  const buf = Buffer.from(text, 'utf8');
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done);
}

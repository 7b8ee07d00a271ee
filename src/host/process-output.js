// @ts-check
/**
 * The output side of a held process: stdout and stderr decoded, cut into bounded lines, written
 * in arrival order to the process's spool, and handed to a listener with their offsets. Each
 * chunk of output costs one spool write and one notification, whatever its number of lines.
 * The unfinished last line of each stream is kept (and reported) for prompts.
 * @module
 */
import { LineSplitter } from './line-splitter.js';
import { Spool } from './spool.js';

/**
 * @import { Readable } from 'node:stream'
 * @import { OutputLine, OutputStream } from './protocol-types.ts'
 */

/** Longest tail of an unfinished line that is reported. */
export const MAX_PARTIAL_CHARS = 4096;

/**
 * @typedef {object} OutputListener
 * @property {(offset: number, lines: OutputLine[]) => void} lines new lines, already spooled
 * @property {(stream: OutputStream, text: string) => void} partial the unfinished line changed
 */

/** Captures one process's output into its spool. */
export class ProcessOutput {
  #spoolDir;
  #key;
  #spoolBytes;
  /** @type {Spool | null} */
  #spool = null;
  #listener;
  /** @type {OutputLine[]} */
  #batch = [];
  #splitters;
  /** @type {Readable[]} */
  #streams = [];
  #paused = false;

  /**
   * @param {{ spoolDir: string; key: string; spoolBytes: number; maxLineLength: number }} o
   * @param {OutputListener} listener
   * @param {Spool} [recovered] the spool a previous host left (adopted, ended processes)
   */
  constructor(o, listener, recovered) {
    this.#spoolDir = o.spoolDir;
    this.#key = o.key;
    this.#spoolBytes = o.spoolBytes;
    this.#spool = recovered ?? null;
    this.#listener = listener;
    const splitter = (/** @type {OutputStream} */ stream) =>
      new LineSplitter(o.maxLineLength, (line) => this.#batch.push([stream, line]));
    this.#splitters = { stdout: splitter('stdout'), stderr: splitter('stderr') };
  }

  /**
   * Reads `stream` until it closes.
   * @param {Readable} stream
   * @param {OutputStream} name
   */
  read(stream, name) {
    const splitter = this.#splitters[name];
    this.#streams.push(stream);
    if (this.#paused) stream.pause();
    stream.setEncoding('utf8');
    stream.on('data', (/** @type {string} */ chunk) => {
      splitter.push(chunk);
      this.#deliver();
      if (chunk.charCodeAt(chunk.length - 1) !== 10) {
        this.#listener.partial(name, tail(splitter.pending));
      }
    });
    stream.on('error', () => undefined); // reported by 'close'; the leader's exit decides
  }

  /**
   * Stops (or goes back to) reading the process's pipes. A paused pipe fills and then blocks the
   * process's writes, as a pipe to a slow reader does: a follower that cannot keep up holds the
   * process back instead of losing lines to the spool's bound.
   * @param {boolean} paused
   */
  setPaused(paused) {
    if (paused === this.#paused) return;
    this.#paused = paused;
    for (const s of this.#streams) {
      if (paused) s.pause();
      else s.resume();
    }
  }

  /** Turns the unfinished lines into lines of their own (before input answers a prompt). */
  endLines() {
    this.#splitters.stdout.end();
    this.#splitters.stderr.end();
    this.#deliver();
  }

  /** The unfinished line of each stream. */
  partials() {
    return {
      stdout: tail(this.#splitters.stdout.pending),
      stderr: tail(this.#splitters.stderr.pending),
    };
  }

  /** The spool, or null while the process has written nothing. */
  get spool() {
    return this.#spool;
  }

  /** Offsets of the spool. */
  offsets() {
    const s = this.#spool;
    return { firstOffset: s?.firstOffset ?? 0, nextOffset: s?.nextOffset ?? 0 };
  }

  /** Ends the unfinished lines and closes the spool file. */
  close() {
    this.endLines();
    this.#spool?.close();
  }

  /** Deletes the spool. */
  remove() {
    this.#spool?.remove();
  }

  #deliver() {
    if (this.#batch.length === 0) return;
    const lines = this.#batch;
    this.#batch = [];
    this.#spool ??= new Spool(this.#spoolDir, this.#key, this.#spoolBytes);
    const offset = this.#spool.append(lines);
    this.#listener.lines(offset, lines);
  }
}

function tail(/** @type {string} */ text) {
  return text.length > MAX_PARTIAL_CHARS ? text.slice(-MAX_PARTIAL_CHARS) : text;
}

// @ts-check
/**
 * One client following one process from an offset: first what the spool holds from there
 * (replay), then live lines, then the exit, each line exactly once and in offset order.
 *
 * The spool is the source of truth, which also bounds the host's memory per client: when a
 * client's socket has more than `HIGH_WATER_BYTES` queued, the attachment stops sending live
 * lines ("lagging") and, once the socket drains, catches up by reading the spool from the next
 * offset it owes. Lines the spool dropped meanwhile are reported as `skipped`. The exit is sent
 * only once every line before it was.
 * @module
 */

/**
 * @import { HostEvent, OutputLine, OutputStream } from './protocol-types.ts'
 * @import { HeldProcess } from './held-process.js'
 */

/** Characters of line text per output event (an event stays under the message bound). */
export const BATCH_CHARS = 64 * 1024;
/** Characters read from the spool per catch-up step. */
const CATCH_UP_CHARS = 1024 * 1024;

/**
 * The connection as an attachment sees it.
 * @typedef {object} AttachmentSink
 * @property {(event: HostEvent) => void} send
 * @property {boolean} congested true while the socket has too much queued
 * @property {(key: string) => void} forget the process was released: drop this attachment
 */

/** Follows one process for one connection (a `Subscriber` of the process). */
export class Attachment {
  #sink;
  #proc;
  #next;
  #partials;
  #lagging = true;
  #started = false;
  #exitSent = false;
  #closed = false;

  /**
   * @param {AttachmentSink} sink
   * @param {HeldProcess} proc
   * @param {number} fromOffset
   * @param {boolean} partials
   */
  constructor(sink, proc, fromOffset, partials) {
    this.#sink = sink;
    this.#proc = proc;
    this.#next = fromOffset;
    this.#partials = partials;
  }

  /** Subscribes and replays what the spool holds from the offset on (call after the reply). */
  start() {
    this.#started = true;
    this.#proc.subscribers.add(this);
    this.#catchUp();
  }

  /** Stops following. */
  close() {
    this.#closed = true;
    this.#proc.subscribers.delete(this);
    this.#proc.lagChanged();
    this.#proc.exitDelivered();
  }

  /** True while live lines wait for the socket to drain (the process is then held back). */
  get lagging() {
    return this.#lagging && this.#started && !this.#closed;
  }

  /** True while the exit is still to be sent (lines before it may be pending). */
  get owesExit() {
    return !this.#exitSent && !this.#closed;
  }

  /** The socket drained: catch up if lines were held back. */
  drained() {
    if (this.#lagging && !this.#closed) this.#catchUp();
  }

  /**
   * @param {number} offset
   * @param {OutputLine[]} lines
   */
  lines(offset, lines) {
    if (this.#lagging) return;
    if (offset !== this.#next) return this.#catchUp();
    this.#send(offset, 0, lines);
    if (this.#sink.congested) {
      this.#lagging = true;
      this.#proc.lagChanged();
    }
  }

  /**
   * @param {OutputStream} stream
   * @param {string} text
   */
  partial(stream, text) {
    if (this.#partials && !this.#lagging) {
      this.#sink.send({ type: 'partial', key: this.#proc.key, stream, text });
    }
  }

  exited() {
    if (!this.#lagging) this.#sendExit();
  }

  stdinClosed() {
    this.#sink.send({ type: 'stdin-closed', key: this.#proc.key });
  }

  released() {
    this.#closed = true;
    this.#sink.forget(this.#proc.key);
  }

  #catchUp() {
    this.#lagging = true;
    for (;;) {
      if (this.#closed) return;
      const spool = this.#proc.spool;
      if (spool === null || this.#next >= spool.nextOffset) break;
      if (this.#sink.congested) {
        this.#proc.lagChanged();
        return; // drained() resumes
      }
      const r = spool.read(this.#next, CATCH_UP_CHARS);
      this.#send(r.offset, r.skipped, r.lines);
      if (r.lines.length === 0) break;
    }
    this.#lagging = false;
    this.#proc.lagChanged();
    if (this.#partials) {
      const p = this.#proc.partials();
      if (p.stdout !== '') this.partial('stdout', p.stdout);
      if (p.stderr !== '') this.partial('stderr', p.stderr);
    }
    if (this.#proc.state !== 'running') this.#sendExit();
  }

  /**
   * Sends `lines` (from `offset`) in events of at most about BATCH_CHARS.
   * @param {number} offset
   * @param {number} skipped
   * @param {OutputLine[]} lines
   */
  #send(offset, skipped, lines) {
    const key = this.#proc.key;
    this.#next = offset + lines.length;
    if (lines.length === 0) {
      if (skipped > 0) this.#sink.send({ type: 'output', key, offset, skipped, lines });
      return;
    }
    let start = 0;
    let chars = 0;
    for (let i = 0; i < lines.length; i++) {
      chars += /** @type {OutputLine} */ (lines[i])[1].length;
      if (chars < BATCH_CHARS && i < lines.length - 1) continue;
      const batch = start === 0 && i === lines.length - 1 ? lines : lines.slice(start, i + 1);
      const skip = start === 0 ? skipped : 0;
      this.#sink.send({ type: 'output', key, offset: offset + start, skipped: skip, lines: batch });
      start = i + 1;
      chars = 0;
    }
  }

  #sendExit() {
    if (this.#exitSent || this.#closed) return;
    this.#exitSent = true;
    this.#sink.send({ type: 'exit', key: this.#proc.key, process: this.#proc.info() });
    this.#proc.exitDelivered();
  }
}

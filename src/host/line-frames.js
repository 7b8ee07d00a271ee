// @ts-check
/**
 * Newline-delimited framing with a size bound, for both ends of the host socket. Bytes are
 * buffered only up to the bound: a peer that sends a longer line (or never a newline) is
 * reported once and everything after is ignored, so garbage cannot grow memory.
 * @module
 */
import { Buffer } from 'node:buffer';

const NL = 0x0a;

/** Splits a byte stream into UTF-8 text frames ending in `\n`. */
export class FrameReader {
  /** @type {Buffer[]} */
  #pending = [];
  #pendingBytes = 0;
  #broken = false;
  #max;
  #onFrame;
  #onOversize;

  /**
   * @param {number} maxBytes longest frame, terminator excluded
   * @param {(frame: string) => void} onFrame called for every complete frame, in order
   * @param {(bytes: number) => void} onOversize called once when a frame passes the bound
   */
  constructor(maxBytes, onFrame, onOversize) {
    this.#max = maxBytes;
    this.#onFrame = onFrame;
    this.#onOversize = onOversize;
  }

  /** Feeds bytes; emits every frame they complete. A callback may call `stop()`. */
  push(/** @type {Buffer} */ chunk) {
    let start = 0;
    while (!this.#broken) {
      const nl = chunk.indexOf(NL, start);
      if (nl === -1) {
        this.#keep(chunk, start);
        return;
      }
      if (this.#pendingBytes + nl - start > this.#max) return this.#oversize(nl - start);
      let frame;
      if (this.#pendingBytes === 0) {
        frame = chunk.toString('utf8', start, nl);
      } else {
        this.#pending.push(chunk.subarray(start, nl));
        frame = Buffer.concat(this.#pending).toString('utf8');
        this.#pending = [];
        this.#pendingBytes = 0;
      }
      start = nl + 1;
      this.#onFrame(frame);
    }
  }

  /** Ignores everything from now on. */
  stop() {
    this.#broken = true;
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  /**
   * @param {Buffer} chunk
   * @param {number} start
   */
  #keep(chunk, start) {
    if (start >= chunk.length) return;
    const size = chunk.length - start;
    if (this.#pendingBytes + size > this.#max) return this.#oversize(size);
    // Copy: the socket may reuse its buffer; a pending tail is small next to the bound.
    this.#pending.push(Buffer.from(chunk.subarray(start)));
    this.#pendingBytes += size;
  }

  /** @param {number} more */
  #oversize(more) {
    const bytes = this.#pendingBytes + more;
    this.stop();
    this.#onOversize(bytes);
  }
}

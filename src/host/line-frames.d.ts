// Generated from line-frames.js: see test/unit/host/declarations.test.ts. Do not edit.
/** Splits a byte stream into UTF-8 text frames ending in `\n`. */
export class FrameReader {
  /**
   * @param {number} maxBytes longest frame, terminator excluded
   * @param {(frame: string) => void} onFrame called for every complete frame, in order
   * @param {(bytes: number) => void} onOversize called once when a frame passes the bound
   */
  constructor(
    maxBytes: number,
    onFrame: (frame: string) => void,
    onOversize: (bytes: number) => void,
  );
  /** Feeds bytes; emits every frame they complete. A callback may call `stop()`. */
  push(chunk: Buffer): void;
  /** Ignores everything from now on. */
  stop(): void;
}
import type { Buffer } from 'node:buffer';

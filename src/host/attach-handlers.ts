/**
 * What a client does with the events of one process it follows.
 * @module
 */
import type { HeldProcessInfo, OutputLine, OutputStream } from './protocol-types.ts';

/** Callbacks for one attached process; each is optional and must not throw (errors are dropped). */
export interface AttachHandlers {
  /**
   * Lines in offset order, each exactly once: `lines[i]` has offset `offset + i`. `skipped` lines
   * just before `offset` were wanted but dropped from the spool at its bound.
   */
  output?(lines: OutputLine[], offset: number, skipped: number): void;
  /** The unfinished last line of a stream changed (only when attached with `partials`). */
  partial?(stream: OutputStream, text: string): void;
  /** The process's stdin closed while it ran. */
  stdinClosed?(): void;
  /** The process ended (`exit`) or was lost with a dead host (`lost`); sent after every line. */
  exit?(process: HeldProcessInfo): void;
}

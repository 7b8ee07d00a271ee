/**
 * A writable stream that keeps what is written to it, for reading a logger's output in a test.
 * @module
 */
import { Writable } from 'node:stream';

/** The stream and everything written to it so far. */
export function capturedStream(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

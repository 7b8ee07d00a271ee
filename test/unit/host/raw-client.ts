/**
 * A raw client of the host socket for tests: send any bytes, read the messages, pause reading.
 * @module
 */
import { connect, type Socket } from 'node:net';
import { PROTOCOL_VERSION } from '../../../src/host/index.ts';

/** A raw connection to the host: send lines, read messages, see the close. */
export async function raw(socketPath: string) {
  const socket: Socket = connect(socketPath);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const messages: Array<Record<string, unknown>> = [];
  let buffered = '';
  const waiters: Array<() => void> = [];
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
      messages.push(JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>);
      buffered = buffered.slice(nl + 1);
    }
    waiters.splice(0).forEach((w) => w());
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  return {
    messages,
    send: (text: string | Buffer) => socket.write(text),
    /** Sends one JSON message. */
    request: (message: unknown) => socket.write(`${JSON.stringify(message)}\n`),
    /** Stops reading: the host's writes queue up. */
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    /** Resolves once a message satisfies `pred`. */
    async until(pred: (m: Record<string, unknown>) => boolean) {
      for (let seen = 0; ;) {
        for (; seen < messages.length; seen++)
          if (pred(messages[seen] as Record<string, unknown>)) return;
        await new Promise<void>((r) => waiters.push(r));
      }
    },
    hello: (version: number = PROTOCOL_VERSION) =>
      socket.write(`${JSON.stringify({ type: 'hello', version, client: 'raw-test' })}\n`),
    /** The nth message (0-based), once it arrived. */
    async message(n: number) {
      while (messages.length <= n) await new Promise<void>((r) => waiters.push(r));
      return messages[n] as Record<string, unknown>;
    },
    closed,
    destroy: () => socket.destroy(),
  };
}

/**
 * Server-Sent Events for tests: `parseSse()` splits a text buffer into messages; `readSse()`
 * parses a response body into messages (comments included) as they arrive.
 * @module
 */

/** One SSE message; `comment` is set for `: ...` lines. */
export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Parses an SSE text buffer; returns the complete messages and the unparsed rest. */
export function parseSse(buffer: string): { messages: SseMessage[]; rest: string } {
  const messages: SseMessage[] = [];
  let end: number;
  while ((end = buffer.indexOf('\n\n')) >= 0) {
    const block = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    const msg: SseMessage = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) msg.comment = line.slice(1).trim();
      else {
        const colon = line.indexOf(':');
        const key = line.slice(0, colon) as 'id' | 'event' | 'data';
        const value = line.slice(colon + 1).replace(/^ /, '');
        msg[key] = key === 'data' && msg.data !== undefined ? `${msg.data}\n${value}` : value;
      }
    }
    messages.push(msg);
  }
  return { messages, rest: buffer };
}

/** Reads an SSE body and yields messages (comments included) as they arrive. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    const parsed = parseSse(buffer + decoder.decode(chunk, { stream: true }));
    buffer = parsed.rest;
    yield* parsed.messages;
  }
}

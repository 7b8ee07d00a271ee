/**
 * Who sends a `stator.api.*` request, for the rate limiter's per-client buckets: the reply
 * subject without its last token. A NATS client multiplexes its requests over one inbox
 * (`_INBOX.<connection nuid>.<n>`; the in-process bus does the same), so this names one
 * connection, or one custom inbox prefix shared by a client's connections. A request without
 * a reply subject gets no answer anyway and shares one `nats:none` bucket.
 * @module
 */

/** Longest client id kept (a reply subject is chosen by the client). */
const MAX_CLIENT_CHARS = 200;

/** The caller identity of a bus request: `nats:<reply inbox prefix>`. */
export function natsClientId(reply: string | undefined): string {
  if (reply === undefined || reply === '') return 'nats:none';
  const dot = reply.lastIndexOf('.');
  const prefix = dot > 0 ? reply.slice(0, dot) : reply;
  return `nats:${prefix.slice(0, MAX_CLIENT_CHARS)}`;
}

/**
 * The outputs of a call step (`http`, `nats`) from its reply: a JSON object whose keys are all
 * output names is the outputs itself (`${{ steps.a.outputs.version }}`); any other JSON value is
 * `outputs.body`, and so is a reply that is not JSON, as text. An empty reply hands nothing on.
 * Bounded like every step's outputs (MAX_OUTPUT_BYTES as JSON).
 * @module
 */
import { MAX_OUTPUT_BYTES } from '../../workflow/index.ts';

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** The outputs of a reply, or why it cannot be kept. */
export type ReplyOutputs =
  { ok: true; outputs?: Record<string, unknown> } | { ok: false; error: string };

/** Outputs of a reply body; `contentType` (when known) says whether it claims to be JSON. */
export function replyOutputs(text: string, contentType?: string | null): ReplyOutputs {
  if (text.trim() === '') return { ok: true };
  let outputs: Record<string, unknown> = { body: text };
  const claimsJson = contentType?.toLowerCase().includes('json') ?? false;
  if (claimsJson || /^\s*[[{"]/.test(text)) {
    try {
      const value: unknown = JSON.parse(text);
      outputs =
        value !== null &&
        typeof value === 'object' &&
        !Array.isArray(value) &&
        Object.keys(value).every((k) => KEY.test(k))
          ? (value as Record<string, unknown>)
          : { body: value };
    } catch {
      // Not JSON after all: the text is the body.
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(outputs));
  if (bytes > MAX_OUTPUT_BYTES) {
    return {
      ok: false,
      error: `outputs take ${bytes} bytes; at most ${MAX_OUTPUT_BYTES} are kept per step`,
    };
  }
  return { ok: true, outputs };
}

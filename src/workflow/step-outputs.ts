/**
 * What a step hands to later steps, parsed from text. A step writes its outputs to the file
 * named by `$STATOR_OUTPUT` as `key=value` lines, `key<<DELIMITER` blocks for values of several
 * lines (GitHub Actions' form, familiar to most users), or one JSON object; with `outputs: json`
 * its whole stdout is one JSON object. Keys are names later steps can use in
 * `${{ steps.<id>.outputs.<key> }}`; at most MAX_OUTPUT_BYTES per step, as text and as JSON.
 * @module
 */

/** Bytes a step's outputs may take, read or stored. */
export const MAX_OUTPUT_BYTES = 1_048_576;

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** The outputs, or why the text is not valid outputs. */
export type ParsedOutputs =
  { ok: true; outputs: Record<string, unknown> } | { ok: false; error: string };

/** Parses the `$STATOR_OUTPUT` file: a JSON object, or key=value lines and heredoc blocks. */
export function parseOutputFile(text: string): ParsedOutputs {
  if (text.trimStart().startsWith('{')) return parseOutputJson(text, '$STATOR_OUTPUT');
  const outputs: Record<string, unknown> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const heredoc = /^([^=<]+)<<(\S+)$/.exec(line);
    if (heredoc) {
      const [, key, delimiter] = heredoc as unknown as [string, string, string];
      const end = lines.indexOf(delimiter, i + 1);
      if (end < 0) {
        return fail(`line ${i + 1}: '${key}<<${delimiter}' has no closing '${delimiter}' line`);
      }
      const bad = checkKey(key, i);
      if (bad) return bad;
      outputs[key] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) return fail(`line ${i + 1}: expected key=value, key<<DELIMITER or a JSON object`);
    const key = line.slice(0, eq);
    const bad = checkKey(key, i);
    if (bad) return bad;
    outputs[key] = line.slice(eq + 1);
  }
  return sized(outputs);
}

/** Parses text that must be one JSON object (stdout of an `outputs: json` step). */
export function parseOutputJson(text: string, from = 'stdout'): ParsedOutputs {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail(`${from} is not JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail(`${from} must be one JSON object`);
  }
  for (const key of Object.keys(value)) {
    if (!KEY.test(key))
      return fail(`${from}: '${key}' is not an output name (letters, digits, _ and -)`);
  }
  return sized(value as Record<string, unknown>);
}

function checkKey(key: string, line: number): ParsedOutputs | undefined {
  return KEY.test(key)
    ? undefined
    : fail(`line ${line + 1}: '${key}' is not an output name (letters, digits, _ and -)`);
}

function sized(outputs: Record<string, unknown>): ParsedOutputs {
  const bytes = Buffer.byteLength(JSON.stringify(outputs));
  return bytes > MAX_OUTPUT_BYTES
    ? fail(`outputs take ${bytes} bytes; at most ${MAX_OUTPUT_BYTES} are kept per step`)
    : { ok: true, outputs };
}

function fail(error: string): ParsedOutputs {
  return { ok: false, error: `outputs: ${error}` };
}

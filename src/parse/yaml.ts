/**
 * Bounded YAML: the text goes through the `yaml` package's lexer and CST parser, which work
 * with an explicit stack rather than recursion, one token at a time; the parse stops at the
 * first token that nests the document past the depth bound or brings more aliases than
 * allowed. Only then does the composer (which recurses once per level) build the document,
 * and `toJS` expands aliases under `maxAliasCount`. The value is checked once more with
 * checkValueBounds, since aliases can make a value deeper or larger than its text.
 *
 * The schema is YAML 1.2 core whatever a `%YAML` directive says: no merge keys and no 1.1
 * tags, so the value holds only JSON types.
 * @module
 */
import { CST, Composer, Lexer, LineCounter, Parser, YAMLParseError } from 'yaml';
import type { Document } from 'yaml';
import { MalformedPayloadError } from '../errors.ts';
import { DEFAULT_INPUT_BOUNDS, tooDeep, tooManyAliases } from './bounds.ts';
import type { ResolvedInputBounds } from './bounds.ts';
import { checkValueBounds } from './value-bounds.ts';

const OPTIONS = {
  version: '1.2',
  schema: 'core',
  merge: false,
  resolveKnownTags: false,
  uniqueKeys: true,
  // Warnings (a collection used as a key) would go to the process's stderr, once per request.
  logLevel: 'error',
} as const;

/**
 * The parser's stack holds the document and, while one is being read, a scalar, around the
 * collections: a document `maxDepth` deep stacks at most `maxDepth + 2` tokens.
 */
const STACK_SLACK = 2;

function* boundedTokens(
  text: string,
  parser: Parser,
  lines: LineCounter,
  bounds: ResolvedInputBounds,
): Generator<CST.Token, void> {
  lines.addNewLine(0);
  let aliases = 0;
  for (const lexeme of new Lexer().lex(text)) {
    if (CST.tokenType(lexeme) === 'alias' && ++aliases > bounds.maxAliases) {
      throw tooManyAliases(bounds.maxAliases);
    }
    yield* parser.next(lexeme);
    if (parser.stack.length > bounds.maxDepth + STACK_SLACK) throw tooDeep(bounds.maxDepth);
  }
  yield* parser.end();
}

function position(lines: LineCounter, offset: number): string {
  const { line, col } = lines.linePos(offset);
  return ` at line ${line}, column ${col}`;
}

function malformed(errors: readonly YAMLParseError[], lines: LineCounter): MalformedPayloadError {
  const first = errors[0]!;
  const where = first.pos[0] >= 0 ? position(lines, first.pos[0]) : '';
  const more = errors.length > 1 ? ` (+${errors.length - 1} more)` : '';
  const message = `invalid YAML: ${first.message.split('\n')[0]!}${where}${more}`;
  return new MalformedPayloadError(message, first, 'yaml');
}

/** The single document of `text`, composed from bounded tokens. */
function composeDocument(text: string, bounds: ResolvedInputBounds): Document.Parsed {
  const lines = new LineCounter();
  const tokens = boundedTokens(text, new Parser(lines.addNewLine), lines, bounds);
  let doc: Document.Parsed | undefined;
  for (const next of new Composer(OPTIONS).compose(tokens, true, text.length)) {
    if (doc === undefined) {
      doc = next;
      continue;
    }
    const message = 'Source contains multiple documents; please use YAML.parseAllDocuments()';
    doc.errors.push(
      new YAMLParseError(next.range.slice(0, 2) as [number, number], 'MULTIPLE_DOCS', message),
    );
    break;
  }
  // compose(…, forceDoc) always yields a document, empty for empty text.
  if (doc!.errors.length > 0) throw malformed(doc!.errors, lines);
  return doc!;
}

/**
 * Parses YAML text within `bounds` into a plain value. Throws InputBoundsError (`input_bounds`,
 * naming `depth`, `aliases`, `entries` or `string_length`) or MalformedPayloadError
 * (`malformed_yaml`, with the line and column).
 */
export function parseBoundedYaml(
  text: string,
  bounds: ResolvedInputBounds = DEFAULT_INPUT_BOUNDS,
): unknown {
  const doc = composeDocument(text, bounds);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: bounds.maxAliases });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (message.startsWith('Excessive alias count')) throw tooManyAliases(bounds.maxAliases);
    throw new MalformedPayloadError(`invalid YAML: ${message}`, err, 'yaml');
  }
  checkValueBounds(value, bounds);
  return value;
}

/**
 * Generators of hostile (and a few valid) bodies and payloads for the input fuzz suites: random
 * JSON, deep nesting in every shape the parsers know (JSON arrays and objects, YAML flow and
 * block collections), YAML anchors and aliases up to alias bombs, strings around and past the
 * length bound, unicode (lone surrogates, NUL, BOM), bytes that are not UTF-8, and valid bodies
 * with random changes. A body is text or bytes.
 * @module
 */
import fc from 'fast-check';
import { stringify } from 'yaml';

/** A request body or NATS payload. */
export type Body = string | Uint8Array;

/** Depths: mostly around the bound (64), sometimes far past it. */
const depth = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 80 }) },
  { weight: 1, arbitrary: fc.integer({ min: 80, max: 12_000 }) },
);

const NESTINGS = [
  { open: '[', close: ']' },
  { open: '{"a":', close: '}' },
  { open: '[{"k":', close: '}]' },
  { open: '{ a: [', close: '] }' }, // YAML flow, not JSON
  { open: "['[', ", close: ']' }, // a quoted bracket the JSON pre-scan counts, YAML does not
  { open: '["]", ', close: ']' }, // a quoted closer: must not lower the count
] as const;
const LEAVES = ['1', '"x"', 'null', '{}', '[]', '', '*a', '&a x'];

/** Flow nesting, closed or left open, optionally after a YAML key. */
const flowNesting = fc
  .record({
    depth,
    nesting: fc.constantFrom(...NESTINGS),
    leaf: fc.constantFrom(...LEAVES),
    closed: fc.boolean(),
    prefix: fc.constantFrom('', 'name: x\ncommand: ', 'input: ', 'id: x\nsteps: '),
  })
  .map(({ depth: d, nesting, leaf, closed, prefix }) => {
    const body = nesting.open.repeat(d) + leaf + (closed ? nesting.close.repeat(d) : '');
    return prefix + body;
  });

/** YAML block nesting: `- - - x`, or keys indented one more space per level. */
const blockNesting = fc
  .record({ depth, style: fc.constantFrom('dash', 'indent', 'mixed') })
  .map(({ depth: d, style }) => {
    if (style === 'dash') return `${'- '.repeat(d)}x\n`;
    const lines: string[] = [];
    // Indentation grows with the square of the depth: 700 levels are already 1 MB.
    for (let i = 0; i < Math.min(d, 700); i++) {
      const dash = style === 'mixed' && i % 2 === 1 ? '- ' : '';
      lines.push(`${' '.repeat(i * 2)}${dash}k${i}:`);
    }
    return `${lines.join('\n')} leaf\n`;
  });

/** Anchors and aliases: plain reuse, many aliases, billion-laughs bombs, bad references. */
const yamlAliases = fc
  .record({
    levels: fc.integer({ min: 1, max: 12 }),
    fanout: fc.integer({ min: 1, max: 12 }),
    extraAliases: fc.integer({ min: 0, max: 150 }),
    twist: fc.constantFrom('none', 'unresolved', 'self', 'nested', 'key', 'empty'),
  })
  .map(({ levels, fanout, extraAliases, twist }) => {
    const lines = ['name: fuzz', 'a0: &a0 ["lol", "lol"]'];
    for (let i = 1; i < levels; i++) {
      lines.push(
        `a${i}: &a${i} [${Array(fanout)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    }
    lines.push(`many: [${Array(extraAliases).fill('*a0').join(', ')}]`);
    if (twist === 'unresolved') lines.push('bad: *nope');
    if (twist === 'self') lines.push('self: &s [*s, *s]');
    if (twist === 'nested') lines.push('n: &n {x: &m [*a0, {y: *a0}]}\nm: [*n, *m]');
    if (twist === 'key') lines.push('? *a0\n: value');
    if (twist === 'empty') lines.push('e: & \nf: *');
    return lines.join('\n');
  });

/** Strings around the length bound (256 Ki), and bodies past the size bound (1 MiB). */
const hugeString = fc
  .record({
    length: fc.oneof(
      { weight: 2, arbitrary: fc.integer({ min: 262_100, max: 262_200 }) },
      { weight: 2, arbitrary: fc.integer({ min: 1_000, max: 50_000 }) },
      { weight: 1, arbitrary: fc.constant(1_100_000) },
    ),
    char: fc.constantFrom('x', 'é', '\\u0041', '😀', '['),
    format: fc.constantFrom('json-value', 'json-key', 'yaml', 'bare'),
  })
  .map(({ length, char, format }) => {
    const text = char.repeat(Math.ceil(length / char.length));
    if (format === 'json-value') return `{"name": "${text}"}`;
    if (format === 'json-key') return `{"${text}": 1}`;
    if (format === 'yaml') return `name: ${text}\n`;
    return text;
  });

/** Unicode oddities, inside JSON strings and as they are. */
const unicode = fc
  .record({
    text: fc.string({ unit: 'binary', maxLength: 40 }),
    odd: fc.constantFrom('\uD800', '\uDFFF', '\u0000', '\uFEFF', '\u202E', '\u2028', ''),
    shape: fc.constantFrom('json', 'raw', 'bom-json', 'yaml'),
  })
  .map(({ text, odd, shape }) => {
    const s = odd + text + odd;
    if (shape === 'json') return JSON.stringify({ name: s, input: { [s]: s } });
    if (shape === 'bom-json') return `\uFEFF${JSON.stringify({ input: { x: s } })}`;
    if (shape === 'yaml') return `name: "${s.replace(/["\\]/g, '')}"\ntags: [${JSON.stringify(s)}]`;
    return s;
  });

/** Valid bodies, and valid bodies with a random change: reach the validators. */
const nearlyValid = fc
  .record({
    kind: fc.constantFrom('execute', 'workflow', 'session', 'input', 'preference', 'fire'),
    extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 2,
    }),
    input: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), {
      maxKeys: 4,
    }),
    id: fc.stringMatching(/^fz-[a-z0-9]{1,8}$/),
    yaml: fc.boolean(),
  })
  .map(({ kind, extra, input, id, yaml }) => {
    const bodies: Record<string, unknown> = {
      execute: { input, ...extra },
      workflow: { id, steps: [{ id: 'a', noop: true }], ...extra },
      // No command and no run: never a session that starts a process.
      session: { name: id, tags: ['fuzz'], ...extra },
      input: { text: 'hello', newline: true, ...extra },
      preference: { value: input },
      fire: { input },
    };
    const value = bodies[kind];
    return yaml ? stringify(value) : JSON.stringify(value);
  });

/** Every body generator, weighted. */
export const bodyArb: fc.Arbitrary<Body> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v) ?? '') },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => stringify(v)) },
  { weight: 4, arbitrary: flowNesting },
  { weight: 2, arbitrary: blockNesting },
  { weight: 3, arbitrary: yamlAliases },
  { weight: 1, arbitrary: hugeString },
  { weight: 2, arbitrary: unicode },
  { weight: 4, arbitrary: nearlyValid },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 64 }) },
);

/** Content types, right and wrong. */
export const contentTypeArb: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constantFrom(
    undefined,
    'application/json',
    'application/json; charset=utf-8',
    'application/yaml',
    'text/yaml',
    'application/x-yaml',
    'text/plain',
    'application/vnd.stator+json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    '',
    ';;;',
  ),
  fc.string({ unit: 'grapheme-ascii', maxLength: 30 }),
);

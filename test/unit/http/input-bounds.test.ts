/**
 * The bounded parsers of src/parse: the JSON pre-scan, bounded YAML and the check of a built
 * value, at and just past each bound (depth 64, aliases 100, keys and items 250,000, strings
 * 262,144), and on the shapes that used to hurt: 10,000-deep input, alias bombs, self-referring
 * aliases, YAML 1.1 tags.
 */
import { describe, expect, it } from 'vitest';
import { InputBoundsError, MalformedPayloadError } from '../../../src/errors.ts';
import {
  DEFAULT_INPUT_BOUNDS,
  checkJsonBounds,
  checkValueBounds,
  parseBoundedJson,
  parseBoundedYaml,
  resolveInputBounds,
} from '../../../src/parse/index.ts';

/** The error `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

function expectBound(fn: () => unknown, bound: string, limit: number): void {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(InputBoundsError);
  expect(err).toMatchObject({ code: 'input_bounds', details: { bound, limit } });
}

const nestedJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const blockYaml = (depth: number) =>
  `${Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}k:`).join('\n')} leaf\n`;

describe('checkJsonBounds', () => {
  it('takes 64 levels and refuses 65, arrays and objects alike', () => {
    expect(() => checkJsonBounds(nestedJson(64))).not.toThrow();
    expectBound(() => checkJsonBounds(nestedJson(65)), 'depth', 64);
    expectBound(() => checkJsonBounds(`${'{"a":'.repeat(65)}1${'}'.repeat(65)}`), 'depth', 64);
  });

  it('refuses 100,000 levels at the 65th character', () => {
    const started = performance.now();
    expectBound(() => checkJsonBounds('['.repeat(100_000)), 'depth', 64);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('does not count brackets and quotes inside strings', () => {
    expect(() => checkJsonBounds(`["${'['.repeat(500)}", "\\"${'{'.repeat(500)}"]`)).not.toThrow();
    // A closer inside a string must not hide real depth either.
    expectBound(() => checkJsonBounds(`${'["]",'.repeat(65)}1${']'.repeat(65)}`), 'depth', 64);
  });

  it('counts keys and items over the whole text', () => {
    // 4 items, 2 items, 1 key: 7.
    const bounds = resolveInputBounds({ maxEntries: 7 });
    expect(() => checkJsonBounds('[1,2,[3,4],{"a":5}]', bounds)).not.toThrow();
    expectBound(() => checkJsonBounds('[1,2,[3,4],{"a":5,"b":6}]', bounds), 'entries', 7);
    expect(() => checkJsonBounds('[[],{},[[]]]', bounds)).not.toThrow();
  });

  it('measures strings as decoded: an escape is one character', () => {
    const bounds = resolveInputBounds({ maxStringLength: 4 });
    expect(() => checkJsonBounds('["\\u0041\\n\\"b"]', bounds)).not.toThrow();
    expectBound(() => checkJsonBounds('["abcde"]', bounds), 'string_length', 4);
    expectBound(() => checkJsonBounds('{"abcde": 1}', bounds), 'string_length', 4);
  });
});

describe('parseBoundedJson', () => {
  it('parses what is within the bounds and names bad JSON as malformed_json', () => {
    expect(parseBoundedJson('{"a": [1, {"b": null}]}')).toEqual({ a: [1, { b: null }] });
    const err = thrown(() => parseBoundedJson('{"a": ', undefined, 'bad body'));
    expect(err).toBeInstanceOf(MalformedPayloadError);
    expect((err as Error).message).toMatch(/^bad body: /);
  });
});

describe('parseBoundedYaml', () => {
  it('takes 64 levels and refuses 65, in flow and block style', () => {
    expect(() => parseBoundedYaml(nestedJson(64))).not.toThrow();
    expectBound(() => parseBoundedYaml(nestedJson(65)), 'depth', 64);
    expect(() => parseBoundedYaml(blockYaml(64))).not.toThrow();
    expectBound(() => parseBoundedYaml(blockYaml(65)), 'depth', 64);
    expectBound(() => parseBoundedYaml(`${'- '.repeat(65)}x`), 'depth', 64);
  });

  it('stops reading 10,000-deep input at the bound, open or closed', () => {
    for (const text of ['['.repeat(10_000), nestedJson(10_000), `a: ${'{b: '.repeat(10_000)}`]) {
      const started = performance.now();
      expectBound(() => parseBoundedYaml(text), 'depth', 64);
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });

  it('refuses more than 100 aliases, and alias bombs with fewer', () => {
    const many = `a: &x 1\nb: [${Array(101).fill('*x').join(', ')}]`;
    expectBound(() => parseBoundedYaml(many), 'aliases', 100);
    const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 8; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    expectBound(() => parseBoundedYaml(lines.join('\n')), 'aliases', 100);
    expect(parseBoundedYaml('a: &x {k: 1}\nb: *x\nc: [*x, *x]')).toEqual({
      a: { k: 1 },
      b: { k: 1 },
      c: [{ k: 1 }, { k: 1 }],
    });
  });

  it('refuses an alias inside its own anchor (a cycle) by depth', () => {
    expectBound(() => parseBoundedYaml('a: &x [*x]'), 'depth', 64);
  });

  it('counts an aliased collection at every place it appears', () => {
    const bounds = resolveInputBounds({ maxEntries: 10 });
    expectBound(() => parseBoundedYaml('a: &x [1, 2, 3]\nb: [*x, *x, *x]', bounds), 'entries', 10);
  });

  it('reads YAML 1.1 documents with the 1.2 core schema: JSON types only', () => {
    const value = parseBoundedYaml(
      '%YAML 1.1\n---\nbin: !!binary aGk=\nday: 2001-12-14\nmerge: {<<: {x: 1}}\nset: !!set {a}\nyes: yes\n',
    );
    expect(value).toEqual({
      bin: 'aGk=',
      day: '2001-12-14',
      merge: { '<<': { x: 1 } },
      set: { a: null },
      yes: 'yes',
    });
  });

  it('names malformed YAML with its line and column', () => {
    const cases: Array<[string, RegExp]> = [
      ['a: 1\nb: [\n', /^invalid YAML: .* at line 3, column 1/],
      ['a: 1\n---\nb: 2\n', /multiple documents/],
      ['a: *nope\n', /Unresolved alias/],
      ['a: 1\na: 2\n', /Map keys must be unique at line 2/],
    ];
    for (const [text, message] of cases) {
      const err = thrown(() => parseBoundedYaml(text));
      expect(err).toMatchObject({ code: 'malformed_yaml' });
      expect((err as Error).message).toMatch(message);
    }
  });

  it('refuses a string or key past the length bound', () => {
    const limit = DEFAULT_INPUT_BOUNDS.maxStringLength;
    expect(() => parseBoundedYaml(`a: ${'x'.repeat(limit)}`)).not.toThrow();
    expectBound(() => parseBoundedYaml(`a: ${'x'.repeat(limit + 1)}`), 'string_length', limit);
  });
});

describe('checkValueBounds and resolveInputBounds', () => {
  it('refuses a cyclic value by depth without looping', () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expectBound(() => checkValueBounds(cyclic), 'depth', 64);
  });

  it('fills defaults and names a bad field', () => {
    expect(resolveInputBounds()).toEqual(DEFAULT_INPUT_BOUNDS);
    expect(resolveInputBounds({ maxDepth: 8 }).maxDepth).toBe(8);
    expect(thrown(() => resolveInputBounds({ maxDepth: 0 }))).toMatchObject({
      code: 'invalid_argument',
      details: { issues: [{ path: 'maxDepth' }] },
    });
  });
});

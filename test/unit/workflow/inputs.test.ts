import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, httpStatus, toWire } from '../../../src/errors.ts';
import { MAX_INPUT_BYTES, resolveInputs } from '../../../src/workflow/inputs.ts';
import { parseWorkflow } from '../../../src/workflow/parse.ts';

const declared = parseWorkflow({
  id: 'w',
  inputs: {
    name: { default: 'world' },
    count: { type: 'number' },
    tags: { type: 'array', default: ['a'] },
    opts: { type: 'object', required: false },
    flag: { type: 'boolean', required: false },
  },
  steps: [{ id: 'a', noop: true }],
});
const open = parseWorkflow({ id: 'open', steps: [{ id: 'a', noop: true }] });
const none = parseWorkflow({ id: 'none', inputs: {}, steps: [{ id: 'a', noop: true }] });

function issues(fn: () => unknown): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(toWire(err).code).toBe('invalid_argument');
    return (
      (err as InvalidArgumentError).details as { issues: Array<{ path: string; message: string }> }
    ).issues;
  }
  throw new Error('expected a rejection');
}

describe('resolveInputs', () => {
  it('fills defaults (copied, not shared) and keeps given values', () => {
    const out = resolveInputs(declared, { count: 3, flag: false });
    expect(out).toEqual({ name: 'world', count: 3, tags: ['a'], flag: false });
    (out.tags as string[]).push('mutated');
    expect(resolveInputs(declared, { count: 1 }).tags).toEqual(['a']);
  });

  it('rejects missing required, undeclared and mistyped inputs, naming each', () => {
    const found = issues(() => resolveInputs(declared, { name: 5, extra: 1, opts: [], tags: 'x' }));
    expect(found).toEqual(
      expect.arrayContaining([
        { path: 'input.count', message: 'is required' },
        {
          path: 'input.extra',
          message: 'is not a declared input (declared: name, count, tags, opts, flag)',
        },
        { path: 'input.opts', message: 'must be object, got array' },
        { path: 'input.tags', message: 'must be array, got string' },
      ]),
    );
    expect(found).toHaveLength(4); // name has no declared type, so 5 is fine
    expect(httpStatus('invalid_argument')).toBe(422);
  });

  it('accepts any object when the workflow declares no inputs', () => {
    const input = { anything: { deep: [1, 2] }, 'odd-key': 'x' };
    expect(resolveInputs(open, input)).toEqual(input);
    expect(resolveInputs(open, undefined)).toEqual({});
  });

  it('refuses undeclared inputs that would share one INPUT_ variable, naming the field', () => {
    expect(issues(() => resolveInputs(open, { x: 'lower', X: 'upper' }))).toEqual([
      { path: 'input.X', message: "clashes with input 'x' (both are INPUT_X)" },
    ]);
    expect(issues(() => resolveInputs(open, { 'dry-run': true, dry_run: false }))).toEqual([
      { path: 'input.dry_run', message: "clashes with input 'dry-run' (both are INPUT_DRY_RUN)" },
    ]);
  });

  it('rejects every input when the workflow declares an empty map', () => {
    expect(resolveInputs(none, {})).toEqual({});
    expect(issues(() => resolveInputs(none, { a: 1 }))[0]).toEqual({
      path: 'input.a',
      message: 'is not a declared input (declared: none)',
    });
  });

  it.each([null, 'text', 42, [1], new Date()])('rejects a non-object input %j', (input) => {
    expect(issues(() => resolveInputs(open, input))[0]?.path).toBe('input');
  });

  it('rejects values that cannot travel as an environment variable', () => {
    expect(issues(() => resolveInputs(open, { a: 'x\0y' }))[0]?.path).toBe('input.a');
    const big = 'x'.repeat(MAX_INPUT_BYTES + 1);
    expect(issues(() => resolveInputs(open, { big }))[0]?.message).toMatch(/limit/);
  });
});

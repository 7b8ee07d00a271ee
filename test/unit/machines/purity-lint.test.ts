/**
 * The machines/ block of eslint.config.js keeps machine definitions deterministic: no clock, no
 * randomness, no timers, no `process`. Linted as if the source lived in machines/.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ESLint } from 'eslint';

const ROOT = join(import.meta.dirname, '..', '..', '..');

async function lintMachine(source: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(source, {
    filePath: join(ROOT, 'machines', 'sample.machine.ts'),
  });
  return (result?.messages ?? []).map((m) => `${m.line} ${m.ruleId ?? 'parse'}`);
}

describe('machines/ lint', () => {
  it('bans clocks, randomness, timers and process', { timeout: 30_000 }, async () => {
    const messages = await lintMachine(
      [
        'export const a = Math.random();',
        'export const b = Date.now();',
        'export const c = new Date();',
        'export const d = Date();',
        'setTimeout(() => undefined, 1);',
        'setInterval(() => undefined, 1);',
        'setImmediate(() => undefined);',
        'queueMicrotask(() => undefined);',
        'export const e = process.env.HOME;',
        'export const f = performance.now();',
        'const { random } = Math;',
        'export const g = random;',
      ].join('\n'),
    );
    expect(messages).toEqual([
      '1 no-restricted-properties',
      '2 no-restricted-properties',
      '3 no-restricted-syntax',
      '4 no-restricted-syntax',
      '5 no-restricted-globals',
      '6 no-restricted-globals',
      '7 no-restricted-globals',
      '8 no-restricted-globals',
      '9 no-restricted-globals',
      '10 no-restricted-globals',
      '11 no-restricted-properties',
    ]);
  });

  it('allows formatting a time the machine was given', { timeout: 30_000 }, async () => {
    const messages = await lintMachine(
      'export const at = (ms: number): string => new Date(ms).toISOString();\n',
    );
    expect(messages).toEqual([]);
  });
});

// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'tmp/**',
      'node_modules/**',
      'coverage/**',
      'bench/node_modules/**',
      '.stator/**',
      'bin/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // machines/ holds pure statechart definitions: no I/O, no runtime code.
    files: ['machines/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'machines/ is pure: no Node built-ins.' },
            {
              group: [
                '@nats-io/*',
                'execa',
                'pino',
                'pino-*',
                'croner',
                'hono',
                '@hono/*',
                'better-sqlite3',
                'yaml',
                'zod',
              ],
              message: 'machines/ is pure: supply I/O with machine.provide() from src/runtime.',
            },
            {
              group: ['../src/*', '../../src/*'],
              allowTypeImports: true,
              message: 'machines/ may import only types from src/.',
            },
          ],
        },
      ],
    },
  },
);

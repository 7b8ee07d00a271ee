import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretUnavailableError, httpStatus, toWire } from '../../../src/errors.ts';
import {
  SecretRegistry,
  createSecretResolver,
  resolveSecrets,
} from '../../../src/secrets/index.ts';
import { rejection } from '../../helpers/poll.ts';
import { useTempDir } from '../../helpers/use-stator.ts';

describe('resolveSecrets', () => {
  const dir = useTempDir('stator-secrets-');

  it('reads variables of the given environment and files, one trailing newline dropped', async () => {
    const file = join(dir.path, 'key');
    writeFileSync(file, 'from-file\n');
    const crlf = join(dir.path, 'crlf');
    writeFileSync(crlf, 'two\nlines\r\n');
    const values = await resolveSecrets(
      { A: { env: 'VAR_A' }, B: { file }, C: { file: crlf } },
      { env: { VAR_A: 'from-env' } },
    );
    expect(values).toEqual({ A: 'from-env', B: 'from-file', C: 'two\nlines' });
  });

  it('names every unavailable variable and file in one error, never a value', async () => {
    const empty = join(dir.path, 'empty');
    writeFileSync(empty, '\n');
    const big = join(dir.path, 'big');
    writeFileSync(big, 'x'.repeat(100));
    const sub = join(dir.path, 'sub');
    mkdirSync(sub);
    const err = await rejection(
      resolveSecrets(
        {
          OK: { env: 'PRESENT' },
          UNSET: { env: 'NOT_SET_ANYWHERE' },
          BLANK: { env: 'BLANK' },
          GONE: { file: join(dir.path, 'missing') },
          EMPTY: { file: empty },
          DIR: { file: sub },
          BIG: { file: big },
        },
        { env: { PRESENT: 'hunter2-value', BLANK: '' }, maxFileBytes: 10 },
      ),
    );
    expect(err).toBeInstanceOf(SecretUnavailableError);
    const wire = toWire(err);
    expect(wire.code).toBe('secret_unavailable');
    expect(httpStatus(wire.code)).toBe(503);
    expect(wire.message).toContain('secret UNSET: NOT_SET_ANYWHERE is not set');
    expect(wire.message).toContain('(+3 more)');
    expect((wire.details as { secrets: unknown[] }).secrets).toEqual([
      { name: 'UNSET', env: 'NOT_SET_ANYWHERE', reason: 'NOT_SET_ANYWHERE is not set' },
      { name: 'BLANK', env: 'BLANK', reason: 'BLANK is empty' },
      {
        name: 'GONE',
        file: join(dir.path, 'missing'),
        reason: `${join(dir.path, 'missing')} cannot be read (ENOENT)`,
      },
      { name: 'EMPTY', file: empty, reason: `${empty} is empty` },
      { name: 'DIR', file: sub, reason: `${sub} is not a regular file` },
      { name: 'BIG', file: big, reason: `${big} is larger than 10 bytes` },
    ]);
    expect(JSON.stringify(wire)).not.toContain('hunter2-value');
  });

  it('reads process.env at the time of the call by default', async () => {
    process.env.STATOR_TEST_SECRET_LATE = 'late';
    try {
      expect(await resolveSecrets({ X: { env: 'STATOR_TEST_SECRET_LATE' } })).toEqual({
        X: 'late',
      });
    } finally {
      delete process.env.STATOR_TEST_SECRET_LATE;
    }
  });

  it('a resolver registers the values for the log and builds the run masker', async () => {
    const registry = new SecretRegistry();
    const resolve = createSecretResolver({ registry, env: { V: 'topsecret1' } });
    const run = await resolve({ TOKEN: { env: 'V' } });
    expect(run.env).toEqual({ TOKEN: 'topsecret1' });
    expect(run.masker.mask('x topsecret1 y')).toBe('x *** y');
    expect(registry.size).toBe(1);
    expect(registry.redact('"topsecret1"')).toBe('"***"');
  });
});

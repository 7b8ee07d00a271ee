/**
 * The secrets of one session (src/sessions/session-secrets.ts): resolved at each launch, every
 * value learnt stays masked, a missing one is the launch's failure (names only), and a launch
 * found again whose secrets cannot be resolved has its output withheld.
 */
import { describe, expect, it } from 'vitest';
import { SecretUnavailableError } from '../../../src/errors.ts';
import { createSecretResolver, SecretRegistry } from '../../../src/secrets/index.ts';
import { SessionSecrets } from '../../../src/sessions/session-secrets.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('session secrets', () => {
  it('resolves the values of each launch and masks every value learnt, and its encodings', async () => {
    const env: Record<string, string> = { SESSION_TOKEN: 'first-value-1234' };
    const registry = new SecretRegistry();
    const secrets = new SessionSecrets(
      { TOKEN: { env: 'SESSION_TOKEN' } },
      createSecretResolver({ env, registry }),
    );
    expect(secrets.mask('first-value-1234')).toBe('first-value-1234'); // nothing resolved yet
    expect(await secrets.forLaunch()).toEqual({ TOKEN: 'first-value-1234' });
    expect(secrets.failure).toBeNull();
    expect(secrets.mask('t=first-value-1234')).toBe('t=***');
    expect(secrets.mask(b64('first-value-1234'))).toBe('***');
    expect(secrets.mask(encodeURIComponent('first-value-1234 x'))).toContain('***');
    expect(registry.redact('log first-value-1234')).toBe('log ***');
    // A later launch with another value: the earlier process may still print the old one.
    env.SESSION_TOKEN = 'second-value-5678';
    expect(await secrets.forLaunch()).toEqual({ TOKEN: 'second-value-5678' });
    expect(secrets.mask('first-value-1234 second-value-5678')).toBe('*** ***');
  });

  it('fails a launch naming the missing variable or file, never a value', async () => {
    const secrets = new SessionSecrets(
      { TOKEN: { env: 'SESSION_TOKEN' }, KEY: { file: '/nonexistent/key' } },
      createSecretResolver({ env: {} }),
    );
    const err = await secrets.forLaunch().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretUnavailableError);
    expect(secrets.failure).toBe(err);
    expect(secrets.describe(err)).toBe(
      'secret_unavailable: secret TOKEN: SESSION_TOKEN is not set; ' +
        'secret KEY: /nonexistent/key cannot be read (ENOENT)',
    );
  });

  it('a launch that resolves clears the failure; other errors are described masked', async () => {
    const env: Record<string, string> = {};
    const secrets = new SessionSecrets(
      { TOKEN: { env: 'SESSION_TOKEN' } },
      createSecretResolver({ env }),
    );
    await expect(secrets.forLaunch()).rejects.toThrow(SecretUnavailableError);
    env.SESSION_TOKEN = 'now-it-is-set';
    await secrets.forLaunch();
    expect(secrets.failure).toBeNull();
    expect(secrets.describe(new Error('spawn now-it-is-set ENOENT'))).toBe('spawn *** ENOENT');
  });

  it('withholds the output of a launch found again whose secrets are unavailable', async () => {
    const env: Record<string, string> = {};
    const secrets = new SessionSecrets(
      { TOKEN: { env: 'SESSION_TOKEN' } },
      createSecretResolver({ env }),
    );
    const recalled = await secrets.recall();
    expect(recalled.env).toEqual({});
    expect(recalled.error).toBeInstanceOf(SecretUnavailableError);
    expect(secrets.failure).toBeNull(); // not a launch: nothing to refuse
    expect(secrets.mask('anything at all')).toBe('***');
    env.SESSION_TOKEN = 'back-again-42';
    expect(await secrets.recall()).toEqual({ env: { TOKEN: 'back-again-42' }, error: null });
    expect(secrets.mask('x back-again-42 y')).toBe('x *** y');
  });

  it('without secrets, resolves nothing and masks nothing', async () => {
    let calls = 0;
    const secrets = new SessionSecrets(undefined, () => {
      calls++;
      return Promise.reject(new Error('not called'));
    });
    expect(await secrets.forLaunch()).toEqual({});
    expect(await secrets.recall()).toEqual({ env: {}, error: null });
    expect(secrets.mask('plain')).toBe('plain');
    expect(calls).toBe(0);
  });
});

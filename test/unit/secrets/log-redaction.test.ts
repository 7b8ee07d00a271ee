import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/logger.ts';
import { MAX_REGISTERED_SECRETS, SecretRegistry } from '../../../src/secrets/index.ts';

/** A pino destination that keeps every line. */
function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('server log redaction of secret values', () => {
  it('masks registered values anywhere in a line, also JSON-escaped and encoded', () => {
    const registry = new SecretRegistry();
    const out = capture();
    const logger = createLogger({
      destination: out.stream,
      pretty: false,
      level: 'trace',
      redactor: registry,
    });
    const secret = 'p"a\\ss\nword-42';
    logger.info({ before: secret }, 'not registered yet');
    registry.add([secret]);
    logger.info({ value: secret, nested: { deeper: [`x${secret}y`] } }, `msg ${secret}`);
    logger.error({ err: new Error(`failed with ${secret}`) }, 'an error');
    logger.warn({ b64: Buffer.from(secret).toString('base64') }, encodeURIComponent(secret));
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(4);
    const masked = lines.slice(1).join('\n');
    expect(masked).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(masked).not.toContain('word-42');
    expect(masked).not.toContain(Buffer.from(secret).toString('base64'));
    expect(masked).not.toContain(encodeURIComponent(secret));
    // Still JSON, the masks in place.
    const parsed = lines.slice(1).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({
      value: '***',
      nested: { deeper: ['x***y'] },
      msg: 'msg ***',
    });
  });

  it('keeps a bounded number of values, forgetting the oldest', () => {
    const registry = new SecretRegistry();
    registry.add(Array.from({ length: MAX_REGISTERED_SECRETS + 5 }, (_, i) => `secret-${i}-x`));
    expect(registry.size).toBe(MAX_REGISTERED_SECRETS);
    expect(registry.redact('secret-0-x')).toBe('secret-0-x');
    expect(registry.redact(`secret-${MAX_REGISTERED_SECRETS + 4}-x`)).toBe('***');
  });

  it('without a redactor, the logger writes values as they are', () => {
    const out = capture();
    createLogger({ destination: out.stream, pretty: false }).info({ v: 'plain-value' }, 'x');
    expect(out.text()).toContain('plain-value');
  });
});

import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhookBody, verifyWebhookSignature } from '../../../src/triggers/index.ts';

const SECRET = 'hook-secret';
const body = Buffer.from('{"name":"world"}', 'utf8');

describe('webhook signatures', () => {
  it('signs as sha256=<hex of HMAC-SHA256(secret, raw body)>', () => {
    const hex = createHmac('sha256', SECRET).update(body).digest('hex');
    expect(signWebhookBody(SECRET, body)).toBe(`sha256=${hex}`);
    expect(signWebhookBody(SECRET, body.toString('utf8'))).toBe(`sha256=${hex}`);
  });

  it('accepts the right signature, in either hex case, with surrounding blanks', () => {
    const header = signWebhookBody(SECRET, body);
    expect(verifyWebhookSignature(SECRET, body, header)).toBe(true);
    expect(verifyWebhookSignature(SECRET, body, `sha256=${header.slice(7).toUpperCase()}`)).toBe(
      true,
    );
    expect(verifyWebhookSignature(SECRET, body, ` ${header} `)).toBe(true);
  });

  it('refuses a missing, malformed or wrong signature', () => {
    const header = signWebhookBody(SECRET, body);
    const variants: Array<string | undefined> = [
      undefined,
      '',
      header.slice(7),
      `sha1=${header.slice(7)}`,
      `${header}00`,
      header.slice(0, -2),
      `sha256=${'z'.repeat(64)}`,
      signWebhookBody('other-secret', body),
      signWebhookBody(SECRET, Buffer.from('{"name":"World"}')),
      `sha256=${'0'.repeat(64)}`,
    ];
    for (const v of variants)
      expect(verifyWebhookSignature(SECRET, body, v), String(v)).toBe(false);
  });

  it('covers the exact bytes: a re-serialised body does not verify', () => {
    const header = signWebhookBody(SECRET, body);
    const reformatted = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1));
    expect(verifyWebhookSignature(SECRET, reformatted, header)).toBe(false);
  });
});

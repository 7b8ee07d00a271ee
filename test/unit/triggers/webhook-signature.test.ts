import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  parseWebhookTimestamp,
  signWebhook,
  verifyWebhookSignature,
  webhookSignatureHeaders,
} from '../../../src/triggers/index.ts';

const SECRET = 'hook-secret';
const TS = '1764720000';
const body = Buffer.from('{"name":"world"}', 'utf8');
const hex = (s: string) => s.slice('sha256='.length);

describe('webhook signatures', () => {
  it('signs as sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<raw body>")>', () => {
    const expected = createHmac('sha256', SECRET).update(`${TS}.${body.toString()}`).digest('hex');
    expect(signWebhook(SECRET, TS, body)).toBe(`sha256=${expected}`);
    expect(signWebhook(SECRET, Number(TS), body.toString('utf8'))).toBe(`sha256=${expected}`);
    expect(webhookSignatureHeaders(SECRET, body, Number(TS))).toEqual({
      [TIMESTAMP_HEADER]: TS,
      [SIGNATURE_HEADER]: `sha256=${expected}`,
    });
  });

  it('accepts the right signature in either hex case, returning its lowercase hex', () => {
    const header = signWebhook(SECRET, TS, body);
    expect(verifyWebhookSignature(SECRET, TS, body, header)).toBe(hex(header));
    const upper = `sha256=${hex(header).toUpperCase()}`;
    expect(verifyWebhookSignature(SECRET, TS, body, upper)).toBe(hex(header));
    expect(verifyWebhookSignature(SECRET, ` ${TS}`, body, ` ${header} `)).toBe(hex(header));
  });

  it('refuses a missing, malformed or wrong signature', () => {
    const header = signWebhook(SECRET, TS, body);
    const variants: Array<string | undefined> = [
      undefined,
      '',
      hex(header),
      `sha1=${hex(header)}`,
      `${header}00`,
      header.slice(0, -2),
      `sha256=${'z'.repeat(64)}`,
      signWebhook('other-secret', TS, body),
      signWebhook(SECRET, TS, Buffer.from('{"name":"World"}')),
      `sha256=${'0'.repeat(64)}`,
    ];
    for (const v of variants) {
      expect(verifyWebhookSignature(SECRET, TS, body, v), String(v)).toBeUndefined();
    }
  });

  it('binds the timestamp: the same body at another time does not verify', () => {
    const header = signWebhook(SECRET, TS, body);
    expect(verifyWebhookSignature(SECRET, String(Number(TS) + 1), body, header)).toBeUndefined();
    // The old body-only scheme is gone: a signature of the body alone is refused.
    const bodyOnly = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    expect(verifyWebhookSignature(SECRET, TS, body, bodyOnly)).toBeUndefined();
  });

  it('covers the exact bytes: a re-serialised body does not verify', () => {
    const header = signWebhook(SECRET, TS, body);
    const reformatted = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1));
    expect(verifyWebhookSignature(SECRET, TS, reformatted, header)).toBeUndefined();
  });

  it('parses timestamps of whole unix seconds only', () => {
    expect(parseWebhookTimestamp(TS)).toBe(1764720000);
    expect(parseWebhookTimestamp(` ${TS} `)).toBe(1764720000);
    for (const bad of ['', ' ', '-1', '+1', '1.5', '1e9', '0x10', 'now', '1'.repeat(13)]) {
      expect(parseWebhookTimestamp(bad), bad).toBeUndefined();
    }
  });
});

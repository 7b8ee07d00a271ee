import { describe, expect, it } from 'vitest';
import { MASK, SecretMasker, secretForms } from '../../../src/secrets/index.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const b64url = (s: string) => Buffer.from(s).toString('base64url');

describe('SecretMasker', () => {
  const secret = 's3cr3t value/+&=?ü';
  const masker = new SecretMasker([secret]);

  it('masks every occurrence of the value', () => {
    expect(masker.mask(`a ${secret} b ${secret}`)).toBe(`a ${MASK} b ${MASK}`);
    expect(masker.mask('nothing here')).toBe('nothing here');
  });

  it('masks its base64 forms: padded, unpadded, URL alphabet', () => {
    expect(masker.mask(`x=${b64(secret)}`)).toBe(`x=${MASK}`);
    expect(masker.mask(`x=${b64(secret).replace(/=+$/, '')}.`)).toBe(`x=${MASK}.`);
    expect(masker.mask(`x=${b64url(secret)}`)).toBe(`x=${MASK}`);
  });

  it('masks the value inside a longer base64 text at any byte offset (a Basic header)', () => {
    for (const prefix of ['user:', 'ab:', 'a:', '']) {
      for (const suffix of ['', '!', ':tail']) {
        const header = `Authorization: Basic ${b64(prefix + secret + suffix)}`;
        const masked = masker.mask(header);
        expect(masked).toContain(MASK);
        // What is left around the mask is at most the characters shared with the neighbours.
        const rest = masked.replace('Authorization: Basic ', '').replace(MASK, '');
        expect(rest.length).toBeLessThanOrEqual(
          Math.ceil(((prefix.length + suffix.length) * 8) / 6) + 4,
        );
      }
    }
  });

  it('masks its URL-encoded forms', () => {
    const enc = encodeURIComponent(secret);
    expect(masker.mask(`?q=${enc}&x=1`)).toBe(`?q=${MASK}&x=1`);
    expect(masker.mask(`?q=${enc.toLowerCase()}`)).toContain(MASK);
    expect(masker.mask(`?${new URLSearchParams({ q: secret })}`)).toBe(`?q=${MASK}`);
  });

  it('masks each line of a multi-line value (output is masked line by line)', () => {
    const pem = '-----BEGIN KEY-----\nMIIEvQIBADANBgkq\nhkiG9w0BAQEFAASC\n}\n-----END KEY-----';
    const m = new SecretMasker([pem]);
    expect(m.mask('MIIEvQIBADANBgkq')).toBe(MASK);
    expect(m.mask('  hkiG9w0BAQEFAASC  ')).toBe(`  ${MASK}  `);
    expect(m.mask(pem)).toBe(MASK);
    // Lines shorter than MIN_LINE_FRAGMENT are not masked on their own.
    expect(m.mask('{ a }')).toBe('{ a }');
  });

  it('masks the longer of two overlapping secrets whole', () => {
    const m = new SecretMasker(['abc', 'abcdef']);
    expect(m.mask('xabcdefx abc')).toBe(`x${MASK}x ${MASK}`);
  });

  it('escapes regular-expression characters in values', () => {
    const m = new SecretMasker(['a.b*c']);
    expect(m.mask('axbbbc a.b*c')).toBe(`axbbbc ${MASK}`);
  });

  it('with json: true masks JSON-escaped forms (a serialised log line)', () => {
    const quoted = 'pa"ss\\wo\nrd';
    const m = new SecretMasker([quoted], { json: true });
    const line = JSON.stringify({ msg: `got ${quoted}` });
    expect(m.mask(line)).toBe(JSON.stringify({ msg: `got ${MASK}` }));
  });

  it('with no values masks nothing', () => {
    const m = new SecretMasker(['']);
    expect(m.empty).toBe(true);
    expect(m.mask('abc')).toBe('abc');
  });

  it('lists forms longest first, without duplicates', () => {
    const forms = secretForms('abcdef');
    expect(new Set(forms).size).toBe(forms.length);
    expect([...forms].sort((a, b) => b.length - a.length)).toEqual(forms);
    expect(forms).toContain('abcdef');
    expect(forms).toContain(b64('abcdef'));
  });
});

import { describe, expect, it } from 'vitest';
import {
  EMPTY_PAYLOAD,
  EncodedPayload,
  decodeJson,
  decodeText,
  encodeJsonText,
  encodePayload,
  parseJsonText,
} from '../../../src/bus/codec.ts';
import { InvalidArgumentError, MalformedPayloadError } from '../../../src/errors.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('codec', () => {
  it('encodes JSON values to UTF-8 bytes and back', () => {
    for (const v of [{ a: 1, b: ['x', null] }, 'text', 42, true, null, [], 'ünïcødé ✓']) {
      expect(decodeJson(encodePayload(v))).toEqual(v);
    }
    expect(decodeText(encodePayload({ a: 1 }))).toBe('{"a":1}');
  });

  it('sends a Uint8Array as-is and undefined as empty bytes', () => {
    const raw = new Uint8Array([1, 2, 3]);
    expect(encodePayload(raw)).toBe(raw);
    expect(encodePayload(undefined)).toBe(EMPTY_PAYLOAD);
    expect(EMPTY_PAYLOAD).toHaveLength(0);
    expect(decodeJson(EMPTY_PAYLOAD)).toBeUndefined();
    expect(decodeText(EMPTY_PAYLOAD)).toBe('');
  });

  it('throws MalformedPayloadError (malformed_json) on bad JSON, keeping the cause', () => {
    let err: unknown;
    try {
      decodeJson(bytes('{"a":'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MalformedPayloadError);
    expect((err as MalformedPayloadError).code).toBe('malformed_json');
    expect((err as Error).cause).toBeInstanceOf(SyntaxError);
    expect(() => parseJsonText('nope')).toThrow(MalformedPayloadError);
  });

  it('rejects payloads JSON cannot encode with InvalidArgumentError', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => encodePayload(cyclic)).toThrow(InvalidArgumentError);
    expect(() => encodePayload(10n)).toThrow(/not JSON-serialisable/);
    expect(encodeJsonText(() => 1)).toBe('');
  });

  describe('EncodedPayload', () => {
    it('keeps JSON text, makes bytes on demand and gives a fresh copy per json()', () => {
      const p = EncodedPayload.from({ n: { deep: 1 } });
      expect(p.text).toBe('{"n":{"deep":1}}');
      expect(decodeText(p.bytes)).toBe(p.text);
      expect(p.bytes).toBe(p.bytes);
      const a = p.json<{ n: { deep: number } }>();
      a.n.deep = 2;
      expect(p.json()).toEqual({ n: { deep: 1 } });
    });

    it('copies binary payloads so the caller may reuse its buffer', () => {
      const raw = bytes('{"ok":true}');
      const p = EncodedPayload.from(raw);
      raw.fill(0);
      expect(p.json()).toEqual({ ok: true });
      expect(p.text).toBe('{"ok":true}');
    });

    it('encodes undefined as empty', () => {
      const p = EncodedPayload.from(undefined);
      expect(p.bytes).toHaveLength(0);
      expect(p.text).toBe('');
      expect(p.json()).toBeUndefined();
    });
  });
});

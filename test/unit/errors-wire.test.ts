/**
 * toWire bounds what an error sends: an error quoting half a megabyte it refused (an unknown key,
 * repeated in the message and in every issue) would make a NATS reply larger than the server's
 * max_payload, which is never delivered.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, MAX_WIRE_MESSAGE, toWire } from '../../src/errors.ts';

describe('toWire', () => {
  it('cuts a long message and the long texts of large details; small ones go as they are', () => {
    const key = 'é'.repeat(262_135);
    const err = InvalidArgumentError.format([
      { path: key, message: `Unrecognized key: "${key}"` },
      { path: 'a', message: 'short' },
    ]);
    const wire = toWire(err);
    expect(wire.code).toBe('invalid_argument');
    expect(wire.message.length).toBeLessThan(MAX_WIRE_MESSAGE + 100);
    expect(wire.message).toMatch(/more characters\)$/);
    expect(JSON.stringify(wire).length).toBeLessThan(10_000);
    const issues = (wire.details as { issues: Array<{ path: string; message: string }> }).issues;
    expect(issues).toHaveLength(2);
    expect(issues[1]).toEqual({ path: 'a', message: 'short' });

    const small = InvalidArgumentError.format([{ path: 'x', message: 'bad' }]);
    expect(toWire(small)).toEqual({
      code: 'invalid_argument',
      message: 'x: bad',
      recoverable: false,
      details: { issues: [{ path: 'x', message: 'bad' }] },
    });
  });
});

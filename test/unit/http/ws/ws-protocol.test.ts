import { describe, expect, it } from 'vitest';
import { filterKey, parseClientMessage } from '../../../../src/http/ws/index.ts';
import { StatorError } from '../../../../src/errors.ts';

function errorOf(text: string): { code: string; message: string } {
  try {
    parseClientMessage(text);
  } catch (err) {
    if (err instanceof StatorError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error(`accepted: ${text}`);
}

describe('WebSocket protocol', () => {
  it('turns subscribe fields into an event filter named by its canonical key', () => {
    expect(
      parseClientMessage(
        JSON.stringify({
          type: 'subscribe',
          executionId: 'ex1',
          eventType: 'step.',
          severity: 'warning',
        }),
      ),
    ).toEqual({
      type: 'subscribe',
      filter: { executionId: 'ex1', type: 'step.', severity: 'warning' },
      key: 'executionId=ex1&severity=warning&type=step.',
    });
    expect(parseClientMessage('{"type":"subscribe","sessionId":"s1","since":5}')).toEqual({
      type: 'subscribe',
      filter: { kind: 'session', id: 's1' },
      key: 'id=s1&kind=session',
      since: 5,
    });
    expect(parseClientMessage('{"type":"subscribe"}')).toMatchObject({ filter: {}, key: '*' });
    expect(filterKey({ kind: 'engine', id: 'e1' })).toBe(filterKey({ id: 'e1', kind: 'engine' }));
  });

  it('parses unsubscribe and ping', () => {
    expect(parseClientMessage('{"type":"unsubscribe","all":true}')).toEqual({
      type: 'unsubscribe',
      filter: {},
      key: '*',
      all: true,
    });
    expect(parseClientMessage('{"type":"ping"}')).toEqual({ type: 'ping' });
    expect(parseClientMessage('{"type":"ping","ref":"r1"}')).toEqual({ type: 'ping', ref: 'r1' });
  });

  it('rejects bad messages with a code and the field named', () => {
    expect(errorOf('{')).toMatchObject({ code: 'malformed_json' });
    expect(errorOf('[]').code).toBe('invalid_argument');
    expect(errorOf('{"type":"dance"}').code).toBe('invalid_argument');
    expect(errorOf('{"type":"subscribe","kind":"robot"}').message).toMatch(/kind/);
    expect(errorOf('{"type":"subscribe","eventType":"Step Started"}').message).toMatch(/type/);
    expect(errorOf('{"type":"subscribe","since":-1}').message).toMatch(/since/);
    expect(errorOf('{"type":"subscribe","extra":1}').code).toBe('invalid_argument');
    expect(errorOf('{"type":"subscribe","sessionId":"s","id":"x"}').message).toMatch(/sessionId/);
  });
});

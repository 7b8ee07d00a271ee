/**
 * How a call step's reply becomes outputs: a JSON object with output-name keys is the outputs,
 * any other JSON or text is `outputs.body`, an empty reply hands nothing on, and outputs over
 * 1 MiB are refused.
 */
import { describe, expect, it } from 'vitest';
import { replyOutputs } from '../../../../src/runtime/calls/reply-outputs.ts';

describe('replyOutputs', () => {
  it('takes a JSON object with output-name keys as the outputs', () => {
    expect(replyOutputs('{"version":"1","n":2}', 'application/json')).toEqual({
      ok: true,
      outputs: { version: '1', n: 2 },
    });
  });

  it('puts other JSON, keys that are no output names and text under body', () => {
    expect(replyOutputs('[1,2]')).toEqual({ ok: true, outputs: { body: [1, 2] } });
    expect(replyOutputs('{"a.b":1}')).toEqual({ ok: true, outputs: { body: { 'a.b': 1 } } });
    expect(replyOutputs('"s"', 'application/json')).toEqual({ ok: true, outputs: { body: 's' } });
    expect(replyOutputs('{not json', 'application/json')).toEqual({
      ok: true,
      outputs: { body: '{not json' },
    });
    expect(replyOutputs('42')).toEqual({ ok: true, outputs: { body: '42' } });
  });

  it('hands nothing on for an empty reply and refuses outputs over the bound', () => {
    expect(replyOutputs('  ')).toEqual({ ok: true });
    const big = replyOutputs('"' + '\\u0001'.repeat(200_000) + '"', 'application/json');
    expect(big).toMatchObject({ ok: false, error: expect.stringMatching(/at most 1048576/) });
  });
});

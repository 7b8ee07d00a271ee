/**
 * A NATS trigger message from bytes to input or refusal (trigger-message.ts), what a stream
 * message's answer to the server is (nats-stream-consumer.ts), the names the NATS triggers use
 * (trigger-names.ts), and the `nats: {subject, queue?, stream?}` declaration.
 */
import { describe, expect, it } from 'vitest';
import { subjectSpace } from '../../../src/bus/index.ts';
import { answerOf } from '../../../src/triggers/nats-stream-consumer.ts';
import { decodeTriggerMessage, replyOf } from '../../../src/triggers/trigger-message.ts';
import {
  defaultTriggerQueue,
  streamConsumerName,
  streamMessageKey,
} from '../../../src/triggers/trigger-names.ts';
import { parseWorkflow } from '../../../src/workflow/parse.ts';

const encode = (s: string) => new TextEncoder().encode(s);
const strict = parseWorkflow({
  id: 'strict',
  inputs: { order: { type: 'string', required: true } },
  steps: [{ id: 'a', noop: true }],
});
const open = parseWorkflow({ id: 'open', steps: [{ id: 'a', noop: true }] });

describe('decodeTriggerMessage', () => {
  it('reads a JSON object the inputs accept; an empty payload is {}', () => {
    expect(decodeTriggerMessage(encode('{"order":"o1"}'), strict)).toEqual({
      ok: true,
      input: { order: 'o1' },
    });
    expect(decodeTriggerMessage(new Uint8Array(), open)).toEqual({ ok: true, input: {} });
  });

  it.each([
    ['not JSON', encode('hello'), 'malformed_json', 'malformed_json'],
    ['truncated', encode('{"order": '), 'malformed_json', 'malformed_json'],
    ['not UTF-8', new Uint8Array([0xff, 0xfe, 0x7b]), 'malformed_json', 'malformed_json'],
    ['too deep', encode('['.repeat(500) + ']'.repeat(500)), 'malformed_json', 'input_bounds'],
    ['an array', encode('[1,2]'), 'not_an_object', 'invalid_argument'],
    ['null', encode('null'), 'not_an_object', 'invalid_argument'],
    ['a string', encode('"x"'), 'not_an_object', 'invalid_argument'],
    ['a wrong type', encode('{"order":42}'), 'invalid_input', 'invalid_argument'],
    ['a missing input', encode('{}'), 'invalid_input', 'invalid_argument'],
  ])('refuses %s with its reason and the structured error', (_, data, reason, code) => {
    const decoded = decodeTriggerMessage(data, strict);
    expect(decoded).toMatchObject({
      ok: false,
      reason,
      error: { code, message: expect.any(String), recoverable: false },
    });
  });

  it('names the input at fault', () => {
    const decoded = decodeTriggerMessage(encode('{"order":42}'), strict);
    expect(!decoded.ok && decoded.error.message).toContain('input.order');
  });
});

describe('replyOf', () => {
  it('answers the execution id, or the error a trigger.fire caller would get', () => {
    expect(replyOf('t', { status: 'started', executionId: 'ex1' })).toEqual({
      ok: true,
      data: { executionId: 'ex1' },
    });
    expect(replyOf('t', { status: 'queued', executionId: 'ex2', position: 1 })).toEqual({
      ok: true,
      data: { executionId: 'ex2', queued: true },
    });
    expect(
      replyOf('t', { status: 'skipped', reason: 'overlap', message: 'run ex1 is still going' }),
    ).toMatchObject({ ok: false, error: { code: 'conflict', details: { reason: 'overlap' } } });
    expect(replyOf('t', { status: 'skipped', reason: 'busy', message: 'full' })).toMatchObject({
      ok: false,
      error: { code: 'unavailable' },
    });
    expect(replyOf('t', { status: 'held' })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
  });
});

describe('answerOf (stream messages)', () => {
  const error = (recoverable: boolean) => ({
    code: 'unavailable' as const,
    message: 'x',
    recoverable,
  });
  it('acks what is settled, terms what will never fire, naks what may later', () => {
    expect(answerOf({ status: 'started', executionId: 'e' }, 1000)).toBe('ack');
    expect(answerOf({ status: 'queued', executionId: 'e', position: 1 }, 1000)).toBe('ack');
    // Refused by the overlap policy: handled (the trigger.skipped event says why).
    expect(answerOf({ status: 'skipped', reason: 'overlap', message: '' }, 1000)).toBe('ack');
    expect(answerOf({ status: 'skipped', reason: 'busy', message: '' }, 1000)).toEqual({
      nakMs: 1000,
    });
    expect(
      answerOf({ status: 'rejected', reason: 'malformed_json', error: error(false) }, 1000),
    ).toBe('term');
    expect(answerOf({ status: 'failed', error: error(true) }, 1000)).toEqual({ nakMs: 1000 });
    expect(answerOf({ status: 'failed', error: error(false) }, 1000)).toBe('term');
    expect(answerOf({ status: 'held' }, 1000)).toEqual({ nakMs: 5000 });
  });
});

describe('trigger names', () => {
  it('builds the queue group, durable consumer and idempotency key in one place', () => {
    expect(defaultTriggerQueue(subjectSpace(), 'orders')).toBe('stator-trigger-orders');
    expect(defaultTriggerQueue(subjectSpace('acme'), 'orders')).toBe('acme-trigger-orders');
    expect(streamConsumerName('prod', 'orders-nats-0')).toBe('prod_trigger_orders-nats-0');
    expect(streamMessageKey('ORDERS', 1700000000000, 42)).toBe(
      'nats-stream:ORDERS:1700000000000:42',
    );
  });
});

describe('nats trigger declaration', () => {
  const wf = (nats: Record<string, unknown>) =>
    parseWorkflow({ id: 'w', triggers: [{ nats }], steps: [{ id: 'a', noop: true }] });

  it('takes a stream name, or a queue group, not both', () => {
    expect(wf({ subject: 'a.b', stream: 'ORDERS' }).triggers).toEqual([
      { kind: 'nats', subject: 'a.b', stream: 'ORDERS' },
    ]);
    expect(wf({ subject: 'a.b', queue: 'workers' }).triggers).toEqual([
      { kind: 'nats', subject: 'a.b', queue: 'workers' },
    ]);
    expect(() => wf({ subject: 'a.b', queue: 'w', stream: 'S' })).toThrow(/not both/);
    expect(() => wf({ subject: 'a.b', stream: 'bad.name' })).toThrow(/stream name/);
  });
});

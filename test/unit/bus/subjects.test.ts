import { describe, expect, it } from 'vitest';
import {
  ACTOR_KINDS,
  INBOX_ROOT,
  actorAddress,
  inboxSubject,
  isValidPattern,
  isValidSubject,
  isValidToken,
  isWildcardPattern,
  subjectMatches,
  subjectSpace,
  tokensMatch,
  validatePattern,
  validateSubject,
  validateToken,
} from '../../../src/bus/index.ts';
import { InvalidArgumentError } from '../../../src/errors.ts';

// The default deployment's names: exactly those of releases before `--nats-prefix` named subjects.
const {
  prefix,
  actorIn,
  actorOut,
  actorWildcard,
  apiSubject,
  apiWildcard,
  parseActorSubject,
  parseApiSubject,
  workSubject,
} = subjectSpace();

describe('subject tokens', () => {
  it('accepts plain tokens and rejects empty, dotted, spaced and wildcard ones', () => {
    for (const t of ['a', 'run-1', 'X_y', '01HZ', 'ü']) expect(isValidToken(t), t).toBe(true);
    for (const t of ['', 'a.b', 'a b', 'a\tb', '*', '>', 'a*', 'b>']) {
      expect(isValidToken(t), t).toBe(false);
    }
  });

  it('validateToken returns the token or throws an InvalidArgumentError naming the field', () => {
    expect(validateToken('ok')).toBe('ok');
    const err = (() => {
      try {
        validateToken('a.b', 'pool');
      } catch (e) {
        return e as InvalidArgumentError;
      }
    })();
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err?.code).toBe('invalid_argument');
    expect(err?.details).toEqual({ issues: [expect.objectContaining({ path: 'pool' })] });
  });
});

describe('subject builders', () => {
  it('builds actor addresses and in/out subjects', () => {
    expect(prefix).toBe('stator');
    expect(actorAddress('engine', 'e1')).toBe('engine.e1');
    expect(actorIn('session', 's1')).toBe('stator.session.s1.in');
    expect(actorOut('execution', 'x1')).toBe('stator.execution.x1.out');
    expect(() => actorIn('step', 'a.b')).toThrow(InvalidArgumentError);
    expect(() => actorOut('step', '')).toThrow(InvalidArgumentError);
    expect(() => actorAddress('step', '*')).toThrow(InvalidArgumentError);
  });

  it('builds wildcards that match the subjects they cover', () => {
    expect(actorWildcard('out')).toBe('stator.*.*.out');
    expect(actorWildcard('in', 'engine')).toBe('stator.engine.*.in');
    for (const kind of ACTOR_KINDS) {
      expect(subjectMatches(actorWildcard('out'), actorOut(kind, 'id1'))).toBe(true);
      expect(subjectMatches(actorWildcard('out'), actorIn(kind, 'id1'))).toBe(false);
    }
    expect(subjectMatches(actorWildcard('in', 'engine'), actorIn('session', 'a'))).toBe(false);
    expect(apiWildcard()).toBe('stator.api.>');
    expect(subjectMatches(apiWildcard(), apiSubject('workflow.execute'))).toBe(true);
  });

  it('builds api, work and inbox subjects, validating every token', () => {
    expect(apiSubject('execution.get')).toBe('stator.api.execution.get');
    expect(() => apiSubject('execution..get')).toThrow(/command/);
    expect(() => apiSubject('')).toThrow(InvalidArgumentError);
    expect(workSubject('default')).toBe('stator.work.default');
    expect(() => workSubject('a b')).toThrow(/pool/);
    expect(INBOX_ROOT).toBe('_INBOX');
    expect(inboxSubject('n0nce', 7)).toBe('_INBOX.n0nce.7');
    expect(() => inboxSubject('a.b', 1)).toThrow(/nonce/);
  });
});

describe('subject parsers', () => {
  it('parses actor subjects and rejects everything else', () => {
    expect(parseActorSubject('stator.engine.e1.in')).toEqual({
      kind: 'engine',
      id: 'e1',
      direction: 'in',
    });
    expect(parseActorSubject(actorOut('monitor', 'm'))).toEqual({
      kind: 'monitor',
      id: 'm',
      direction: 'out',
    });
    for (const s of [
      'stator.engine.e1',
      'stator.engine.e1.up',
      'stator.robot.e1.in',
      'other.engine.e1.in',
      'stator.engine.*.in',
      'stator.engine.e1.in.x',
    ]) {
      expect(parseActorSubject(s), s).toBeUndefined();
    }
  });

  it('extracts api command names', () => {
    expect(parseApiSubject('stator.api.session.create')).toBe('session.create');
    expect(parseApiSubject('stator.api.')).toBeUndefined();
    expect(parseApiSubject('stator.work.default')).toBeUndefined();
  });
});

describe('subject validation and matching', () => {
  it('isValidSubject accepts publishable subjects only', () => {
    for (const s of ['a', 'a.b.c', 'stator.api.x', '_INBOX.abc.1']) {
      expect(isValidSubject(s), s).toBe(true);
    }
    for (const s of ['', '.', '.a', 'a.', 'a..b', 'a b', 'a.*', 'a.>', '*', 'a.b*']) {
      expect(isValidSubject(s), s).toBe(false);
    }
  });

  it('isValidPattern accepts wildcards as whole tokens, > only last', () => {
    for (const p of ['a', 'a.*', '*.b', 'a.>', '>', '*.*.>'])
      expect(isValidPattern(p), p).toBe(true);
    for (const p of ['', 'a..b', 'a.>.b', '>.a', 'a*', 'a.b>', 'a. b']) {
      expect(isValidPattern(p), p).toBe(false);
    }
  });

  it('validateSubject / validatePattern return their input or throw naming the field', () => {
    expect(validateSubject('a.b')).toBe('a.b');
    expect(validatePattern('a.*.>')).toBe('a.*.>');
    expect(() => validateSubject('a.*', 'reply')).toThrow(/^reply: 'a\.\*' is not a valid subject/);
    expect(() => validatePattern('a.>.b')).toThrow(/^subject: .* not a valid subject pattern/);
    expect(() => validateSubject('')).toThrow(InvalidArgumentError);
  });

  it('isWildcardPattern tells wildcard patterns from exact subjects', () => {
    expect(isWildcardPattern('a.*')).toBe(true);
    expect(isWildcardPattern('a.>')).toBe(true);
    expect(isWildcardPattern('a.b')).toBe(false);
  });

  const cases: [string, string, boolean][] = [
    ['a.b', 'a.b', true],
    ['a.b', 'a.c', false],
    ['a.*', 'a.b', true],
    ['a.*', 'a', false],
    ['a.*', 'a.b.c', false],
    ['*.b', 'a.b', true],
    ['a.>', 'a.b', true],
    ['a.>', 'a.b.c.d', true],
    ['a.>', 'a', false],
    ['>', 'a', true],
    ['>', 'a.b', true],
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.b.d', false],
    ['a.b.c', 'a.b', false],
  ];

  it.each(cases)(
    'subjectMatches(%s, %s) is %s, and tokensMatch agrees',
    (pattern, subject, expected) => {
      expect(subjectMatches(pattern, subject)).toBe(expected);
      expect(tokensMatch(pattern.split('.'), subject.split('.'))).toBe(expected);
    },
  );
});

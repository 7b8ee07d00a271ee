/**
 * Checking and matching subjects and subscription patterns (NATS rules: `*` one token, a
 * trailing `>` one or more). Building Stator's own names is subjects.ts's job.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';

/** Checks that a subscription pattern is well formed (`>` only last, no empty tokens). */
export function isValidPattern(pattern: string): boolean {
  const parts = pattern.split('.');
  return parts.every(
    (p, i) =>
      p.length > 0 &&
      !/\s/.test(p) &&
      (p === '*' || p === '>' || !/[*>]/.test(p)) &&
      (p !== '>' || i === parts.length - 1),
  );
}

/** NATS wildcard matching: `*` matches one token, a trailing `>` one or more. */
export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const tok = p[i];
    if (tok === '>') return s.length > i;
    if (i >= s.length) return false;
    if (tok !== '*' && tok !== s[i]) return false;
  }
  return p.length === s.length;
}

const INVALID_SUBJECT_CHAR = /[\s*>]/;

/** True when `subject` may be published to: dot-separated non-empty tokens, no wildcards. */
export function isValidSubject(subject: string): boolean {
  return (
    subject.length > 0 &&
    !INVALID_SUBJECT_CHAR.test(subject) &&
    subject.charCodeAt(0) !== 46 &&
    subject.charCodeAt(subject.length - 1) !== 46 &&
    !subject.includes('..')
  );
}

/** True when `pattern` contains a `*` or `>` wildcard token. */
export function isWildcardPattern(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('>');
}

/** `subjectMatches` on pre-split tokens, for callers that match one subject against many patterns. */
export function tokensMatch(pattern: readonly string[], subject: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const tok = pattern[i];
    if (tok === '>') return subject.length > i;
    if (i >= subject.length) return false;
    if (tok !== '*' && tok !== subject[i]) return false;
  }
  return pattern.length === subject.length;
}

/** Throws an InvalidArgumentError naming `field` unless `subject` may be published to. */
export function validateSubject(subject: string, field = 'subject'): string {
  if (!isValidSubject(subject)) {
    throw InvalidArgumentError.format([
      { path: field, message: `'${subject}' is not a valid subject` },
    ]);
  }
  return subject;
}

/** Throws an InvalidArgumentError naming `field` unless `pattern` may be subscribed to. */
export function validatePattern(pattern: string, field = 'subject'): string {
  if (!isValidPattern(pattern)) {
    throw InvalidArgumentError.format([
      { path: field, message: `'${pattern}' is not a valid subject pattern` },
    ]);
  }
  return pattern;
}

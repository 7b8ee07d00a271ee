/**
 * The one module that builds and parses subjects. No other file concatenates subject strings.
 * Layout (DESIGN.md §3): `stator.<kind>.<id>.in|out`, `stator.api.<command>`, `stator.work.<pool>`.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';

/** Root token of every Stator subject; overridable per deployment through a prefix. */
export const SUBJECT_ROOT = 'stator';

/** Kinds of addressable actors. */
export const ACTOR_KINDS = [
  'engine',
  'session',
  'execution',
  'step',
  'trigger',
  'monitor',
] as const;
/** A kind of addressable actor. */
export type ActorKind = (typeof ACTOR_KINDS)[number];
/** Direction of an actor subject. */
export type Direction = 'in' | 'out';

/** An actor address `<kind>.<id>`, as carried in events' `source`. */
export type ActorAddress = `${ActorKind}.${string}`;

const INVALID_TOKEN = /[\s.*>]/;

/** True when `token` may be one subject token: non-empty, no whitespace, dots or wildcards. */
export function isValidToken(token: string): boolean {
  return token.length > 0 && !INVALID_TOKEN.test(token);
}

/** Throws an InvalidArgumentError naming `field` unless `token` is a valid subject token. */
export function validateToken(token: string, field = 'id'): string {
  if (!isValidToken(token)) {
    throw InvalidArgumentError.format([
      {
        path: field,
        message: `'${token}' is not a valid subject token (no spaces, '.', '*' or '>')`,
      },
    ]);
  }
  return token;
}

/** The address of an actor: `<kind>.<id>`. */
export function actorAddress(kind: ActorKind, id: string): ActorAddress {
  return `${kind}.${validateToken(id)}`;
}

/** `stator.<kind>.<id>.in`: events sent to the actor. */
export function actorIn(kind: ActorKind, id: string): string {
  return `${SUBJECT_ROOT}.${kind}.${validateToken(id)}.in`;
}

/** `stator.<kind>.<id>.out`: events the actor emits. */
export function actorOut(kind: ActorKind, id: string): string {
  return `${SUBJECT_ROOT}.${kind}.${validateToken(id)}.out`;
}

/** Wildcard over every actor of a kind (or of all kinds) in one direction. */
export function actorWildcard(direction: Direction, kind?: ActorKind): string {
  return `${SUBJECT_ROOT}.${kind ?? '*'}.*.${direction}`;
}

/** `stator.api.<command>`: request-reply command subject (command names may be dotted). */
export function apiSubject(command: string): string {
  for (const part of command.split('.')) validateToken(part, 'command');
  return `${SUBJECT_ROOT}.api.${command}`;
}

/** Wildcard over every API command. */
export function apiWildcard(): string {
  return `${SUBJECT_ROOT}.api.>`;
}

/** `stator.work.<pool>`: execution requests waiting for an engine. */
export function workSubject(pool: string): string {
  return `${SUBJECT_ROOT}.work.${validateToken(pool, 'pool')}`;
}

/** Wildcard over every work pool. */
export function workWildcard(): string {
  return `${SUBJECT_ROOT}.work.*`;
}

/** Parsed form of an actor subject. */
export interface ParsedActorSubject {
  kind: ActorKind;
  id: string;
  direction: Direction;
}

/** Parses `stator.<kind>.<id>.in|out`; undefined for any other subject. */
export function parseActorSubject(subject: string): ParsedActorSubject | undefined {
  const parts = subject.split('.');
  if (parts.length !== 4 || parts[0] !== SUBJECT_ROOT) return undefined;
  const [, kind, id, direction] = parts as [string, string, string, string];
  if (!(ACTOR_KINDS as readonly string[]).includes(kind)) return undefined;
  if (direction !== 'in' && direction !== 'out') return undefined;
  if (!isValidToken(id)) return undefined;
  return { kind: kind as ActorKind, id, direction };
}

/** Extracts the command name from `stator.api.<command>`; undefined otherwise. */
export function parseApiSubject(subject: string): string | undefined {
  const prefix = `${SUBJECT_ROOT}.api.`;
  return subject.startsWith(prefix) && subject.length > prefix.length
    ? subject.slice(prefix.length)
    : undefined;
}

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

/** Root token of reply inboxes (the NATS convention). */
export const INBOX_ROOT = '_INBOX';

/** `_INBOX.<nonce>.<seq>`: the reply subject of one request. */
export function inboxSubject(nonce: string, seq: number): string {
  return `${INBOX_ROOT}.${validateToken(nonce, 'nonce')}.${seq}`;
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

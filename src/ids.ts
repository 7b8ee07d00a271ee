/**
 * Time-sortable unique ids: `<prefix>_<26 chars>`, the 26 chars being a ULID (48-bit
 * millisecond time, then 80 random bits, Crockford base32). Ids made in the same millisecond
 * by one generator increment the random part, so within a process lexicographic order is
 * creation order. Ids are valid NATS subject tokens (no dots, spaces or wildcards).
 * @module
 */
import { randomFillSync } from 'node:crypto';
import { InvalidArgumentError } from './errors.ts';

/** Crockford base32 alphabet (no I, L, O, U). */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_LEN = 10;
const RANDOM_LEN = 16;
const MAX_TIME = 2 ** 48 - 1;
const PREFIX = /^[a-z][a-z0-9]{0,15}$/;
const BODY = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** A function that returns a new id with the given prefix on each call. */
export type IdGenerator = (prefix: string) => string;

/** Builds an id generator reading time from `now` (a simulated clock in tests). */
export function createIdGenerator(now: () => number = Date.now): IdGenerator {
  let lastTime = -1;
  const random = new Uint8Array(RANDOM_LEN);
  let timePart = '';

  return function nextId(prefix: string): string {
    if (!PREFIX.test(prefix)) {
      throw InvalidArgumentError.format([
        { path: 'prefix', message: `'${prefix}' must be 1-16 lowercase letters or digits` },
      ]);
    }
    const t = Math.floor(now());
    if (t > lastTime) {
      if (t > MAX_TIME) throw new RangeError(`time ${t} does not fit in 48 bits`);
      lastTime = t;
      timePart = encodeTime(t);
      randomFillSync(random);
      // Clear the top bit so 2^79 increments fit before an overflow could occur.
      for (let i = 0; i < RANDOM_LEN; i++) random[i] = random[i]! & (i === 0 ? 15 : 31);
    } else if (!increment(random)) {
      // 2^79 ids in one millisecond: move to the next millisecond to keep the order.
      lastTime += 1;
      timePart = encodeTime(lastTime);
      random.fill(0);
    }
    let body = timePart;
    for (let i = 0; i < RANDOM_LEN; i++) body += ALPHABET[random[i]!];
    return `${prefix}_${body}`;
  };
}

/** Adds one to the base32 digits; false on overflow. */
function increment(digits: Uint8Array): boolean {
  for (let i = digits.length - 1; i >= 0; i--) {
    if (digits[i]! < 31) {
      digits[i] = digits[i]! + 1;
      return true;
    }
    digits[i] = 0;
  }
  return false;
}

function encodeTime(t: number): string {
  let out = '';
  let rest = t;
  for (let i = 0; i < TIME_LEN; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/** The process-wide generator: ids from it sort in creation order. */
export const newId: IdGenerator = createIdGenerator();

/** True when `value` is an id (with the given prefix, when one is passed). */
export function isId(value: unknown, prefix?: string): value is string {
  if (typeof value !== 'string') return false;
  const sep = value.indexOf('_');
  if (sep < 1) return false;
  const head = value.slice(0, sep);
  if (prefix === undefined ? !PREFIX.test(head) : head !== prefix) return false;
  return BODY.test(value.slice(sep + 1));
}

/** The creation time (ms since the epoch) encoded in an id; throws when it is not an id. */
export function idTime(id: string): number {
  if (!isId(id)) {
    throw InvalidArgumentError.format([{ path: 'id', message: `'${id}' is not an id` }]);
  }
  const body = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 1 + TIME_LEN);
  let t = 0;
  for (const ch of body) t = t * 32 + ALPHABET.indexOf(ch);
  return t;
}

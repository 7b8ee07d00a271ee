/**
 * The forms a secret's value can take in text a process prints: the value itself, each line of
 * a multi-line value (output is split into lines before it is masked), its base64 (standard and
 * URL alphabets, padded or not, and the characters that depend on the value alone when it sits
 * at any byte offset of a longer base64 text, such as `user:secret` in a Basic header) and its
 * URL-encoded forms (`%20` or `+` for spaces, upper- or lower-case hex).
 * @module
 */

/** Shortest line of a multi-line value masked on its own (trimmed), so `{` or `}` are not. */
export const MIN_LINE_FRAGMENT = 4;
/** Shortest base64 slice of a value at an unaligned offset that is masked. */
export const MIN_BASE64_SLICE = 6;

/** Every form of `value` worth masking, longest first, without duplicates or empty strings. */
export function secretForms(value: string): string[] {
  const forms = new Set<string>();
  const add = (form: string) => {
    if (form !== '') forms.add(form);
  };
  add(value);
  if (/[\r\n]/.test(value)) {
    for (const line of value.split(/\r\n|\r|\n/)) {
      const fragment = line.trim();
      if (fragment.length >= MIN_LINE_FRAGMENT) add(fragment);
    }
  }
  const bytes = Buffer.from(value, 'utf8');
  const base64 = bytes.toString('base64');
  add(base64);
  add(base64.replace(/=+$/, ''));
  add(bytes.toString('base64url'));
  for (const slice of base64Slices(bytes)) add(slice);
  const url = encodeURIComponent(value);
  add(url);
  add(url.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
  add(url.replace(/%20/g, '+'));
  add(new URLSearchParams({ v: value }).toString().slice(2));
  return [...forms].sort((a, b) => b.length - a.length);
}

/**
 * For the value at byte offset 0, 1 or 2 (mod 3) of a longer text, the base64 characters whose
 * six bits all come from the value: character i covers bits [6i, 6i+6) and the value bits
 * [8s, 8s+8n) after an s-byte prefix.
 */
function base64Slices(bytes: Buffer): string[] {
  const slices: string[] = [];
  const n = bytes.length;
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.concat([Buffer.alloc(shift), bytes]);
    const from = Math.ceil((8 * shift) / 6);
    const to = Math.floor((8 * shift + 8 * n) / 6);
    if (to - from < MIN_BASE64_SLICE) continue;
    slices.push(padded.toString('base64').slice(from, to));
    slices.push(padded.toString('base64url').slice(from, to));
  }
  return slices;
}

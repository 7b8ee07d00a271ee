/**
 * The masker of one set of secrets: replaces every occurrence of each value, and of each of its
 * forms (secret-forms.ts), with `***`. Output is masked line by line, after the runner split it
 * into lines, so a value written in several chunks is whole when it is masked.
 * @module
 */
import { secretForms } from './secret-forms.ts';

/** What a secret becomes wherever text leaves the process. */
export const MASK = '***';

/** Options of a SecretMasker. */
export interface SecretMaskerOptions {
  /**
   * Also mask each form as it appears inside a JSON string (quotes, backslashes and control
   * characters escaped): for text that is serialised JSON, such as a log line. @default false
   */
  json?: boolean;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Masks the values it was built with. */
export class SecretMasker {
  readonly #pattern: RegExp | null;

  constructor(values: Iterable<string>, options: SecretMaskerOptions = {}) {
    const forms = new Set<string>();
    for (const value of values) {
      if (value === '') continue;
      for (const form of secretForms(value)) {
        forms.add(form);
        if (options.json) forms.add(JSON.stringify(form).slice(1, -1));
      }
    }
    // Longest first: where two forms start at the same place, the longer one is masked whole.
    const sorted = [...forms].sort((a, b) => b.length - a.length);
    this.#pattern =
      sorted.length === 0 ? null : new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  }

  /** True when there is nothing to mask. */
  get empty(): boolean {
    return this.#pattern === null;
  }

  /** `text` with every secret form replaced by `***`. */
  mask(text: string): string {
    return this.#pattern === null ? text : text.replace(this.#pattern, MASK);
  }
}

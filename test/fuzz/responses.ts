/**
 * What every answer to a generated request must be: below 500, and, when it refuses, a JSON
 * body `{"error": {"code", "message", "recoverable"}}`. Event streams are cancelled once their
 * status is known. `Tally` counts what the suite sent and saw.
 * @module
 */
import { expect } from 'vitest';

/** An answer reduced to what the checks need. */
export interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/** Reads a fetch Response; streams are cancelled instead of read. */
export async function readAnswer(res: Response): Promise<Answer> {
  const contentType = res.headers.get('content-type') ?? '';
  if (contentType.startsWith('text/event-stream')) {
    await res.body?.cancel().catch(() => {});
    return { status: res.status, contentType, body: '' };
  }
  return { status: res.status, contentType, body: await res.text() };
}

/**
 * Asserts the contract of an answer; `what` names the request in failure messages. An answer
 * to HEAD has no body by definition: its status and content type are checked.
 */
export function expectStructured(answer: Answer, what: string, head = false): void {
  expect(answer.status, `${what} → ${answer.status} ${answer.body.slice(0, 300)}`).toBeLessThan(
    500,
  );
  if (answer.status < 400) return;
  expect(answer.contentType, `${what}: error content type`).toMatch(/^application\/json/);
  if (head) return;
  const parsed = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } };
  expect(typeof parsed.error?.code, `${what}: error.code in ${answer.body.slice(0, 300)}`).toBe(
    'string',
  );
  expect(typeof parsed.error?.message, `${what}: error.message`).toBe('string');
}

/** Counts of what a suite sent, by status class and error code. */
export class Tally {
  readonly statuses = new Map<string, number>();
  readonly codes = new Map<string, number>();
  total = 0;

  add(status: number | string, code?: string): void {
    this.total++;
    const key = typeof status === 'number' ? `${Math.floor(status / 100)}xx` : status;
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
    if (code !== undefined) this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
  }

  /** The error code of a JSON error body, if any. */
  static code(body: string): string | undefined {
    try {
      return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
    } catch {
      return undefined;
    }
  }

  summary(): string {
    const fmt = (m: Map<string, number>) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
    return `${this.total} sent; ${fmt(this.statuses)}; codes: ${fmt(this.codes)}`;
  }
}

/**
 * Formatting of figures and markdown tables for bench output and bench/RESULTS.md.
 * @module
 */
import type { Summary } from './stats.ts';

/** A number with `digits` significant-ish decimals chosen by magnitude. */
export function num(x: number, digits?: number): string {
  const d = digits ?? (Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : Math.abs(x) >= 1 ? 2 : 3);
  return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** `median (min–max)` of a summary, each formatted by `f`. */
export function spread(s: Summary, f: (x: number) => string = (x) => num(x)): string {
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

/** A ratio as `1.07x (0.98–1.20)`. */
export function ratio(s: Summary): string {
  return `${num(s.median, 2)}x (${num(s.min, 2)}–${num(s.max, 2)})`;
}

/** A markdown table; columns after the first are right-aligned. */
export function markdownTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    `| ${r.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

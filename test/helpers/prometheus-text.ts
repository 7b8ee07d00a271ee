/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4) for tests: every
 * line must be blank, a `# HELP`/`# TYPE` line or another comment, or a sample
 * `name{label="value",...} value [timestamp]`; every sample must belong to a family declared by
 * a `# TYPE` line before it; histograms must have cumulative buckets ending in `le="+Inf"`
 * equal to their `_count`. Throws naming the line at fault.
 * @module
 */

/** One sample. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed exposition. */
export interface PromText {
  types: Map<string, string>;
  samples: PromSample[];
  /** The value of the sample with this name whose labels include `labels`; undefined if none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
// Special values as Prometheus reads them (Go's ParseFloat: case-insensitive; prom-client
// writes `Nan`).
const VALUE =
  '(?:[+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?)|[+-]?[Ii][Nn][Ff]|[Nn][Aa][Nn])';
const SAMPLE = new RegExp(
  `^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})?[ \\t]+(${VALUE})(?:[ \\t]+(-?\\d+))?$`,
);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const HELP = new RegExp(`^# HELP (${NAME})(?: .*)?$`);
const PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

function parseValue(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower.endsWith('inf')) return lower.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
}

function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const [family, type] of types) {
    for (const suffix of SUFFIXES[type] ?? []) if (name === family + suffix) return family;
  }
  return undefined;
}

/** Parses and checks exposition text; throws on the first violation. */
export function parsePrometheusText(text: string): PromText {
  const types = new Map<string, string>();
  const samples: PromSample[] = [];
  text.split('\n').forEach((line, i) => {
    const at = `line ${i + 1} '${line}'`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const type = TYPE.exec(line);
      if (type) {
        if (types.has(type[1]!)) throw new Error(`${at}: second TYPE for ${type[1]}`);
        types.set(type[1]!, type[2]!);
      } else if (line.startsWith('# HELP') && !HELP.test(line)) throw new Error(`${at}: bad HELP`);
      return;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`${at}: not a valid sample line`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(PAIR)) labels[k!] = v!;
    if (familyOf(m[1]!, types) === undefined) throw new Error(`${at}: sample without a TYPE`);
    samples.push({ name: m[1]!, labels, value: parseValue(m[3]!) });
  });
  checkHistograms(types, samples);
  return {
    types,
    samples,
    value(name, want = {}) {
      const hit = samples.find(
        (s) => s.name === name && Object.entries(want).every(([k, v]) => s.labels[k] === v),
      );
      return hit?.value;
    },
  };
}

function checkHistograms(types: Map<string, string>, samples: PromSample[]): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, PromSample[]>();
    for (const s of samples) {
      if (s.name !== `${family}_bucket`) continue;
      const { le: _le, ...rest } = s.labels;
      const key = labelKey(rest);
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      for (let i = 1; i < buckets.length; i++) {
        if (buckets[i]!.value < buckets[i - 1]!.value) {
          throw new Error(`${family}${key}: buckets are not cumulative`);
        }
      }
      const last = buckets.at(-1)!;
      const count = samples.find((s) => s.name === `${family}_count` && labelKey(s.labels) === key);
      if (last.labels.le !== '+Inf' || count?.value !== last.value) {
        throw new Error(`${family}${key}: +Inf bucket missing or unequal to _count`);
      }
    }
  }
}

function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

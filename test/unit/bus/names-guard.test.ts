/**
 * Guard: one module names a deployment's things on NATS (src/bus/subjects.ts, from the prefix).
 * Reads every source file under src/ with the TypeScript parser and fails when a string or
 * template literal elsewhere
 * - starts with a fixed root: `stator.`, `stator-`, `stator_` or `$SRV` (a name that ignores
 *   `--nats-prefix`), or
 * - appends a name part to a variable: `${x}.api.`, `${x}.work.`, `${x}_events`, `${x}-api`,
 *   `${x}.in` ... (a prefixed name built by hand),
 * unless the allow-list below names the file and the literal with its reason. Comments are not
 * literals, so doc comments may show names.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');

/** The one file allowed to build names. */
const NAMING_MODULE = 'src/bus/subjects.ts';

/** A literal that starts with a fixed root. */
const FIXED_ROOT = /^(stator[._-]|\$SRV)/;
/** A literal part that follows `${...}` and carries on a deployment name. */
const NAME_PART =
  /^([.](api|work|in|out)([.]|$)|_(events|logs|work|leases|workflows|executions|steps|index|triggers|idempotency|sessions|trigger_)|-(api|trigger|stator))/;

/** file → literal text → why it may stay. */
const ALLOWED: Record<string, Record<string, string>> = {
  'src/host/host-paths.js': {
    'stator-host-': 'the process host socket and lock names: local files, not NATS',
  },
  'src/host/host-main.js': { 'stator-host': 'the process title of the host' },
  'src/runtime/create-stator.ts': {
    'stator-release': "a client name on the process host's local socket, not NATS",
  },
  'src/cli/serve.ts': {
    'stator-': 'the NATS connection name (a label the server shows, not a subject or resource)',
  },
  'src/runtime/options.ts': { 'stator.db': 'the SQLite file name in the data directory' },
  'src/dashboard/lib/api.ts': {
    'stator.token': "the browser's sessionStorage key of the API token, not NATS",
  },
  'src/workflow/triggers.ts': {
    'stator.':
      "the schema's static check of trigger subjects (it knows no prefix); NatsTriggers refuses " +
      "subjects under the deployment's own prefix (bus.subjects.owns)",
  },
};

/** file → literals it may hold by pattern, with the reason. */
const ALLOWED_PATTERNS: Record<string, { pattern: RegExp; reason: string }> = {
  'src/metrics/stator-metrics.ts': {
    pattern: /^stator_[a-z_]+$/,
    reason: 'Prometheus metric names (`stator_*`), scraped over HTTP, not names on NATS',
  },
};

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.(ts|js)$/.test(e.name) ? [path] : [];
  });
}

interface Literal {
  /** The literal's text (a template's first part, or one part after a substitution). */
  text: string;
  /** True when the text follows a `${...}` substitution. */
  afterSubstitution: boolean;
}

/** Every string literal and template part of a file. */
function literals(file: string): Literal[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const found: Literal[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      found.push({ text: node.text, afterSubstitution: false });
    } else if (ts.isTemplateExpression(node)) {
      found.push({ text: node.head.text, afterSubstitution: false });
      for (const span of node.templateSpans) {
        found.push({ text: span.literal.text, afterSubstitution: true });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `file: "literal"` for every hand-written name outside the allow-list. */
function offences(): string[] {
  return sources('src')
    .filter((file) => file !== NAMING_MODULE)
    .flatMap((file) =>
      literals(file)
        .filter(({ text, afterSubstitution }) =>
          afterSubstitution ? NAME_PART.test(text) : FIXED_ROOT.test(text),
        )
        .filter(({ text }) => ALLOWED[file]?.[text] === undefined)
        .filter(({ text }) => !ALLOWED_PATTERNS[file]?.pattern.test(text))
        .map(({ text }) => `${file}: "${text}"`),
    );
}

describe('names on NATS are built by src/bus/subjects.ts only', () => {
  it('finds no hand-written subject, queue group, stream, bucket or consumer name', () => {
    expect(offences()).toEqual([]);
  });

  it('allows only literals that are still there (the allow-list does not rot)', () => {
    for (const [file, allowed] of Object.entries(ALLOWED)) {
      const texts = new Set(literals(file).map((l) => l.text));
      for (const text of Object.keys(allowed))
        expect(texts.has(text), `${file}: ${text}`).toBe(true);
    }
  });

  it('catches the hand-written names it is there for', () => {
    // The scanner itself, on the kinds of code this guard replaced.
    const probe = (code: string) => {
      const source = ts.createSourceFile('probe.ts', code, ts.ScriptTarget.Latest, false);
      const hits: string[] = [];
      const visit = (node: ts.Node): void => {
        if (ts.isStringLiteral(node) && FIXED_ROOT.test(node.text)) hits.push(node.text);
        if (ts.isNoSubstitutionTemplateLiteral(node) && FIXED_ROOT.test(node.text)) {
          hits.push(node.text);
        }
        if (ts.isTemplateExpression(node)) {
          if (FIXED_ROOT.test(node.head.text)) hits.push(node.head.text);
          for (const s of node.templateSpans) {
            if (NAME_PART.test(s.literal.text)) hits.push(s.literal.text);
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
      return hits;
    };
    expect(probe("const q = 'stator-api';")).toEqual(['stator-api']);
    expect(probe('const d = `stator-${pool}`;')).toEqual(['stator-']);
    expect(probe('const s = `$SRV.${verb}`;')).toEqual(['$SRV.']);
    expect(probe('const w = `${prefix}_work`;')).toEqual(['_work']);
    expect(probe('const a = `${root}.api.${cmd}`;')).toEqual(['.api.']);
    expect(probe('const i = `${root}.execution.${id}.in`;')).toEqual(['.in']);
    expect(probe('// stator.api.x in a comment\nconst ok = `${a}.${b}`;')).toEqual([]);
  });
});

/**
 * The globs of `artifacts:`: `*` (any characters but `/`), `?` (one such character) and `**`
 * (any number of whole segments), matched against `/`-separated paths relative to the step's
 * working directory. A pattern without wildcards names one path.
 * @module
 */

/** A pattern split into the directory to walk from and a matcher for relative paths. */
export interface CompiledGlob {
  /** Leading segments without wildcards (the directory the walk starts in; '' for the root). */
  base: string;
  /** True when the pattern has no wildcard: it names `base` itself. */
  literal: boolean;
  /** True when `relPath` matches the whole pattern. */
  matches(relPath: string): boolean;
  /** True when files under directory `relDir` may match (the walk descends only then). */
  mayContain(relDir: string): boolean;
}

const WILD = /[*?]/;

/** Compiles a checked pattern (artifactPatternProblem said nothing). */
export function compileGlob(pattern: string): CompiledGlob {
  const segments = pattern.split('/').filter((s) => s !== '' && s !== '.');
  const firstWild = segments.findIndex((s) => WILD.test(s));
  if (firstWild < 0) {
    const path = segments.join('/');
    return {
      base: path,
      literal: true,
      matches: (rel) => rel === path,
      mayContain: () => false,
    };
  }
  const base = segments.slice(0, firstWild).join('/');
  const regex = new RegExp(`^${segmentsSource(segments)}$`);
  const hasGlobstar = segments.includes('**');
  const depth = segments.length;
  return {
    base,
    literal: false,
    matches: (rel) => regex.test(rel),
    // Without `**`, no match is deeper than the pattern.
    mayContain: (relDir) => hasGlobstar || relDir.split('/').length < depth,
  };
}

function segmentsSource(segments: string[]): string {
  let out = '';
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    if (seg === '**') {
      out += last ? '.*' : '(?:[^/]+/)*';
      return;
    }
    out += segmentSource(seg) + (last ? '' : '/');
  });
  return out;
}

function segmentSource(seg: string): string {
  let out = '';
  for (const ch of seg) {
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}

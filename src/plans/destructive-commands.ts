/**
 * Destructive command detection over argv lists and shell scripts: `rm -r` of `/`, `~` or `/*`,
 * `mkfs`, `dd of=/dev/...` and writes to raw disks (critical); `terraform destroy`,
 * `kubectl delete` and SQL `DROP TABLE|DATABASE|SCHEMA` (warning). Scripts are split into simple
 * commands on `;`, `&&`, `||`, `|` and newlines and each is read as an argv, so `rm -rf ./build`
 * or a path that merely starts with `/` is not a finding. A heuristic: it reads text, it does not
 * run a shell, so variables and command substitution are taken literally.
 * @module
 */
import type { Finding, Severity } from './plan-types.ts';

/** One destructive match: rule id, severity and what it saw. */
export interface DestructiveMatch {
  rule: string;
  severity: Severity;
  message: string;
}

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash']);
const WRAPPERS = new Set(['sudo', 'doas', 'env', 'nohup', 'time', 'nice', 'exec', 'command']);
const ROOT_TARGETS = new Set([
  '/',
  '/*',
  '/.',
  '//',
  '~',
  '~/',
  '~/*',
  '$HOME',
  '${HOME}',
  '$HOME/',
  '$HOME/*',
  '${HOME}/',
  '${HOME}/*',
  '/home',
  '/home/*',
]);
const RAW_DISK = /^\/dev\/(sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d|mmcblk\d|disk\d)/;
const SQL_DROP = /\bDROP\s+(TABLE|DATABASE|SCHEMA)\b/i;

/** Characters the lexer acts on; anything else belongs to the current word. */
const SPECIAL = new Set([
  '"',
  "'",
  '\\',
  '#',
  ';',
  '\n',
  '|',
  '&',
  '(',
  ')',
  '>',
  '<',
  ' ',
  '\t',
  '\r',
]);

/** Splits a script into simple commands, each an argv with quotes removed (a rough shell lexer). */
export function scriptCommands(script: string): string[][] {
  const commands: string[][] = [];
  let argv: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  const endWord = () => {
    if (inWord) argv.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (argv.length > 0) commands.push(argv);
    argv = [];
  };
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < script.length) {
      word += script[++i];
      inWord = true;
    } else if (c === '#' && !inWord) {
      while (i + 1 < script.length && script[i + 1] !== '\n') i++;
    } else if (c === ';' || c === '\n' || c === '|' || c === '&' || c === '(' || c === ')') {
      endCommand();
    } else if (c === '>' || c === '<') {
      endWord();
      argv.push(c);
    } else if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
    } else {
      // A run of ordinary characters is taken in one slice, not one concatenation per character.
      let j = i + 1;
      while (j < script.length && !SPECIAL.has(script[j]!)) j++;
      word += script.slice(i, j);
      i = j - 1;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

const base = (program: string) => program.slice(program.lastIndexOf('/') + 1);

function rmMatch(args: string[]): DestructiveMatch | undefined {
  let recursive = false;
  const targets: string[] = [];
  let options = true;
  for (const a of args) {
    if (options && a === '--') options = false;
    else if (options && /^-[A-Za-z]+$/.test(a)) recursive ||= /[rR]/.test(a);
    else if (options && a === '--recursive') recursive = true;
    else if (!options || !a.startsWith('--')) targets.push(a);
  }
  const hit = targets.find((t) => ROOT_TARGETS.has(t));
  if (!recursive || hit === undefined) return undefined;
  const message = `rm -r of '${hit}' deletes the machine's files`;
  return { rule: 'destructive-rm-root', severity: 'critical', message };
}

/** The destructive matches of one argv (wrappers like sudo and `sh -c SCRIPT` looked through). */
export function argvMatches(argv: readonly string[], depth = 0): DestructiveMatch[] {
  let i = 0;
  while (i < argv.length && WRAPPERS.has(base(argv[i]!))) i++;
  while (i < argv.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[i]!)) i++; // VAR=value prefixes
  const rest = argv.slice(i);
  const program = rest[0] === undefined ? '' : base(rest[0]);
  const args = rest.slice(1);
  const out: DestructiveMatch[] = [];
  if (SHELLS.has(program) && depth < 2) {
    const c = args.findIndex((a) => /^-[a-z]*c[a-z]*$/.test(a));
    if (c >= 0 && args[c + 1] !== undefined) out.push(...scriptMatches(args[c + 1]!, depth + 1));
  }
  if (program === 'rm') {
    const m = rmMatch(args);
    if (m) out.push(m);
  }
  if (program === 'mkfs' || program.startsWith('mkfs.') || program === 'mke2fs') {
    out.push({
      rule: 'destructive-mkfs',
      severity: 'critical',
      message: `${program} formats a disk`,
    });
  }
  if (program === 'dd') {
    const of = args.find((a) => a.startsWith('of=/dev/') && a !== 'of=/dev/null');
    if (of)
      out.push({
        rule: 'destructive-dd',
        severity: 'critical',
        message: `dd ${of} overwrites a device`,
      });
  }
  const redirect = argv.findIndex((a, k) => a === '>' && RAW_DISK.test(argv[k + 1] ?? ''));
  if (redirect >= 0) {
    const message = `writes to the raw disk ${argv[redirect + 1]}`;
    out.push({ rule: 'destructive-disk-write', severity: 'critical', message });
  }
  if (program === 'terraform' && (args.includes('destroy') || args.includes('-destroy'))) {
    const message = 'terraform destroy removes the infrastructure it manages';
    out.push({ rule: 'destructive-terraform-destroy', severity: 'warning', message });
  }
  if (program === 'kubectl' && args.includes('delete')) {
    const message = 'kubectl delete removes cluster resources';
    out.push({ rule: 'destructive-kubectl-delete', severity: 'warning', message });
  }
  const drop = argv.map((a) => SQL_DROP.exec(a)).find((m) => m !== null);
  if (drop) {
    const message = `SQL ${drop[0].toUpperCase().replace(/\s+/g, ' ')} removes data`;
    out.push({ rule: 'destructive-sql-drop', severity: 'warning', message });
  }
  return out;
}

/** Text that cannot hold any destructive command is not lexed (plans of big DAGs stay fast). */
const CANDIDATE = /rm|mkfs|mke2fs|dd|terraform|kubectl|>|drop/i;

/** True when an argv item or script may hold a destructive command. */
export function mayBeDestructive(text: string): boolean {
  return CANDIDATE.test(text);
}

/** The destructive matches of a shell script, each simple command read as an argv. */
export function scriptMatches(script: string, depth = 0): DestructiveMatch[] {
  if (!CANDIDATE.test(script)) return [];
  const out: DestructiveMatch[] = [];
  for (const argv of scriptCommands(script)) {
    // Every rule needs a word holding a candidate (`echo 1 && rm -rf x | tee log` reads only rm).
    if (argv.some(mayBeDestructive)) out.push(...argvMatches(argv, depth));
  }
  return out;
}

/** Findings of one step's argv or script, one per rule (the first match of each rule). */
export function destructiveFindings(stepId: string, matches: DestructiveMatch[]): Finding[] {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const m of matches) {
    if (seen.has(m.rule)) continue;
    seen.add(m.rule);
    out.push({ severity: m.severity, rule: m.rule, stepId, message: m.message });
  }
  return out;
}

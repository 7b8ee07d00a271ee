/**
 * The safety findings of a workflow definition and an input: destructive commands (see
 * destructive-commands.ts), `environment: production` without an approval, steps without a
 * timeout, and secrets in argv. Inputs are put into `${{ inputs.x }}` of exec argv and
 * `$INPUT_X` of run scripts first, so an input of `/` to `rm -rf ${{ inputs.dir }}` is found.
 * @module
 */
import type { StepDefinition, WorkflowDefinition } from '../workflow/index.ts';
import { inputEnvName, valueToText } from '../workflow/index.ts';
import {
  argvMatches,
  destructiveFindings,
  mayBeDestructive,
  scriptMatches,
} from './destructive-commands.ts';
import type { Finding } from './plan-types.ts';

/** Step kinds that run for a while and should be bounded by a timeout. */
const TIMED_KINDS = new Set(['exec', 'run', 'http', 'nats', 'workflow']);

/** Shapes of credentials written into a workflow. */
const TOKEN_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bgh[pousr]_[A-Za-z0-9]{30,}\b/, 'a GitHub token'],
  [/\bgithub_pat_[A-Za-z0-9_]{30,}\b/, 'a GitHub token'],
  [/\b(AKIA|ASIA)[A-Z0-9]{16}\b/, 'an AWS access key id'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}\b/, 'a Slack token'],
  [/\bsk-[A-Za-z0-9_-]{20,}\b/, 'an API secret key'],
  [/\bglpat-[A-Za-z0-9_-]{20,}\b/, 'a GitLab token'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/, 'a JSON web token'],
  [/(?:password|passwd|token|secret|api[_-]?key)=[^\s$'"{]{8,}/i, 'a credential assignment'],
];
const SECRETS_TEMPLATE = /\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/;
const INPUT_TEMPLATE = /(?<!\$)\$\{\{\s*inputs\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}/g;

function withInputs(item: string, input: Record<string, unknown>): string {
  if (!item.includes('${{')) return item;
  return item.replace(INPUT_TEMPLATE, (whole, name: string) =>
    input[name] === undefined ? whole : valueToText(input[name]),
  );
}

function withInputVars(script: string, input: Record<string, unknown>): string {
  if (!script.includes('$')) return script;
  let out = script;
  for (const [name, value] of Object.entries(input)) {
    const v = inputEnvName(name);
    if (!out.includes(v)) continue;
    const text = valueToText(value);
    out = out
      .split(`\${${v}}`)
      .join(text)
      .replace(new RegExp(`\\$${v}(?![A-Za-z0-9_])`, 'g'), () => text);
  }
  return out;
}

/** Any of TOKEN_PATTERNS, one test for the common case of none. */
const ANY_TOKEN = new RegExp(TOKEN_PATTERNS.map(([re]) => re.source).join('|'), 'i');

/** No token pattern matches fewer characters than this (`token=` and 8 more is the shortest). */
const MIN_TOKEN_TEXT = 14;

function tokenKind(text: string): string | undefined {
  if (text.length < MIN_TOKEN_TEXT || !ANY_TOKEN.test(text)) return undefined;
  return TOKEN_PATTERNS.find(([re]) => re.test(text))?.[1];
}

/** Pushes the secret findings of one step (secrets named in argv, token literals). */
function pushSecretFindings(out: Finding[], step: StepDefinition, secretNames: readonly string[]) {
  if (step.kind === 'exec') {
    for (const item of step.exec) {
      const template = SECRETS_TEMPLATE.exec(item);
      const named = secretNames.find((n) => item.includes(`$${n}`) || item.includes(`\${${n}}`));
      const name = template?.[1] ?? named;
      if (name !== undefined) {
        const message = `secret ${name} is passed in argv (visible in ps and /proc); read it from the environment in the program`;
        out.push({ severity: 'warning', rule: 'secret-in-argv', stepId: step.id, message });
        break;
      }
    }
  }
  let kind: string | undefined;
  if (step.kind === 'exec') {
    for (let k = 0; k < step.exec.length && kind === undefined; k++)
      kind = tokenKind(step.exec[k]!);
  } else if (step.kind === 'run') kind = tokenKind(step.run);
  if (kind !== undefined) {
    const message = `${step.kind === 'exec' ? 'argv' : 'the script'} holds what looks like ${kind}; declare it under secrets`;
    out.push({ severity: 'warning', rule: 'secret-literal', stepId: step.id, message });
  }
}

/** Pushes the findings of one step: destructive commands, a missing timeout, secrets. */
function pushStepFindings(
  out: Finding[],
  def: WorkflowDefinition,
  step: StepDefinition,
  input: Record<string, unknown>,
  secretNames: readonly string[],
): void {
  if (step.kind === 'exec') {
    if (step.exec.some((a) => mayBeDestructive(a) || a.includes('${{'))) {
      const argv = step.exec.map((a) => withInputs(a, input));
      out.push(...destructiveFindings(step.id, argvMatches(argv)));
    }
  } else if (step.kind === 'run') {
    const script = withInputVars(step.run, input);
    if (mayBeDestructive(script)) {
      out.push(...destructiveFindings(step.id, scriptMatches(script)));
    }
  }
  if (
    TIMED_KINDS.has(step.kind) &&
    step.timeoutMs === undefined &&
    def.defaultTimeoutMs === undefined
  ) {
    const message = `step '${step.id}' has no timeout and the workflow no defaults.timeout: it may run forever`;
    out.push({ severity: 'info', rule: 'no-timeout', stepId: step.id, message });
  }
  pushSecretFindings(out, step, secretNames);
}

/** Every safety finding of a definition with an input (already resolved, or `{}`). */
export function safetyFindings(
  def: WorkflowDefinition,
  input: Record<string, unknown> = {},
): Finding[] {
  const out: Finding[] = [];
  if (def.environment === 'production' && !def.steps.some((s) => s.kind === 'approval')) {
    out.push({
      severity: 'warning',
      rule: 'production-without-approval',
      message: 'environment is production but no approval gate or approval step guards the run',
    });
  }
  // One list for every step: findings are rare, so most steps allocate nothing.
  const secretNames = Object.keys(def.secrets ?? {});
  for (const step of def.steps) pushStepFindings(out, def, step, input, secretNames);
  return out;
}

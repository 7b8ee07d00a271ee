/**
 * Policies judge a plan at execute time: `deny` patterns, `maxDuration` and `maxParallel` block
 * the run (it is recorded `blocked` with its findings), `requireApproval` makes it wait at an
 * approval gate first. The global policy and the workflow's apply together; block wins over
 * approval. Without any policy nothing is blocked; the server's default global policy is
 * DEFAULT_GLOBAL_POLICY (deny `critical`), which `policy: null` turns off.
 * @module
 */
import type { Policy, WorkflowDefinition } from '../workflow/index.ts';
import type { Finding, Plan } from './plan-types.ts';

/** The server's policy unless configured otherwise: only critical findings block. */
export const DEFAULT_GLOBAL_POLICY: Policy = Object.freeze({ deny: ['critical'] });

/** What the policies decided. */
export interface PolicyVerdict {
  action: 'allow' | 'block' | 'approve';
  /** Why (one line each), empty for allow. */
  reasons: string[];
  /** The findings that blocked the run or made it wait. */
  findings: Finding[];
}

/** Whether a pattern (rule id, `prefix-*` or severity) matches a finding. */
export function matchesFinding(pattern: string, f: Finding): boolean {
  if (pattern === f.severity || pattern === f.rule) return true;
  return pattern.endsWith('*') && f.rule.startsWith(pattern.slice(0, -1));
}

const matching = (patterns: readonly string[], findings: readonly Finding[]) =>
  findings.filter((f) => patterns.some((p) => matchesFinding(p, f)));

/** Judges a plan under the policies (absent ones skipped). */
export function evaluatePolicies(
  plan: Pick<Plan, 'findings' | 'levels' | 'criticalPathMs'>,
  policies: ReadonlyArray<Policy | undefined>,
): PolicyVerdict {
  const blockReasons: string[] = [];
  const blocked = new Set<Finding>();
  const approveReasons: string[] = [];
  const approving = new Set<Finding>();
  const widest = plan.levels.reduce((m, l) => Math.max(m, l.length), 0);
  for (const p of policies) {
    if (p === undefined) continue;
    for (const f of matching(p.deny ?? [], plan.findings)) {
      blocked.add(f);
      blockReasons.push(`denied ${f.severity} ${f.rule}${f.stepId ? ` (step ${f.stepId})` : ''}`);
    }
    if (p.maxDuration !== undefined && plan.criticalPathMs > p.maxDuration) {
      blockReasons.push(
        `estimated ${plan.criticalPathMs} ms is over maxDuration ${p.maxDuration} ms`,
      );
    }
    if (p.maxParallel !== undefined && widest > p.maxParallel) {
      blockReasons.push(`${widest} steps in parallel is over maxParallel ${p.maxParallel}`);
    }
    if (p.requireApproval === true) approveReasons.push('the policy requires an approval');
    else if (Array.isArray(p.requireApproval)) {
      for (const f of matching(p.requireApproval, plan.findings)) {
        approving.add(f);
        approveReasons.push(`${f.severity} ${f.rule}${f.stepId ? ` (step ${f.stepId})` : ''}`);
      }
    }
  }
  if (blockReasons.length > 0) {
    return { action: 'block', reasons: [...new Set(blockReasons)], findings: [...blocked] };
  }
  if (approveReasons.length > 0) {
    return { action: 'approve', reasons: [...new Set(approveReasons)], findings: [...approving] };
  }
  return { action: 'allow', reasons: [], findings: [] };
}

/** The policies that apply to a definition: the global one, then the workflow's. */
export function policiesOf(
  def: WorkflowDefinition,
  global: Policy | null | undefined,
): Array<Policy | undefined> {
  return [global ?? undefined, def.policy];
}

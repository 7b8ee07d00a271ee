/**
 * What execute does with a new run under the policies: plan it (findings only need the
 * definition and the input; no history is read), judge the plan, and answer the definition to
 * run — unchanged, or with a policy approval gate in front (a step POLICY_GATE_ID that every
 * step without needs waits for) — or a block.
 * @module
 */
import {
  DEFAULT_RETRY,
  MAX_APPROVAL_MESSAGE,
  type Policy,
  type StepDefinition,
  type WorkflowDefinition,
} from '../workflow/index.ts';
import { buildPlan } from './build-plan.ts';
import { safetyFindings } from './safety-findings.ts';
import { evaluatePolicies, policiesOf, type PolicyVerdict } from './evaluate-policy.ts';

/** The id of the approval step a policy puts in front of a run. */
export const POLICY_GATE_ID = 'policy-approval';
/** How long a policy approval waits before it rejects the run. */
export const POLICY_APPROVAL_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/** The judgement of one run. */
export type RunJudgement =
  | { action: 'allow'; definition: WorkflowDefinition }
  | { action: 'approve'; definition: WorkflowDefinition; verdict: PolicyVerdict }
  | { action: 'block'; verdict: PolicyVerdict };

function gateMessage(verdict: PolicyVerdict): string {
  const text = `A policy requires an approval before this run starts: ${verdict.reasons.join('; ')}`;
  // Approval messages are templates: keep reasons literal.
  return text.replaceAll('${{', '$${{').slice(0, MAX_APPROVAL_MESSAGE);
}

/** The definition with a policy approval step first, needed by every step without needs. */
export function withPolicyGate(
  def: WorkflowDefinition,
  verdict: PolicyVerdict,
): WorkflowDefinition {
  let id = POLICY_GATE_ID;
  for (let n = 2; def.steps.some((s) => s.id === id); n++) id = `${POLICY_GATE_ID}-${n}`;
  const gate: StepDefinition = {
    id,
    needs: [],
    retry: { ...DEFAULT_RETRY, attempts: 1 },
    env: {},
    continueOnError: false,
    kind: 'approval',
    approval: { message: gateMessage(verdict), timeoutMs: POLICY_APPROVAL_TIMEOUT_MS },
  };
  const steps = def.steps.map((s) => (s.needs.length > 0 ? s : { ...s, needs: [id] }));
  return { ...def, steps: [gate, ...steps] };
}

/** Judges a run of `def` with its resolved input under the global policy and the workflow's. */
export function judgeRun(
  def: WorkflowDefinition,
  input: Record<string, unknown>,
  global: Policy | null | undefined,
): RunJudgement {
  const policies = policiesOf(def, global);
  if (policies.every((p) => p === undefined)) return { action: 'allow', definition: def };
  // The graph costs O(steps) more: planned only when a policy bounds duration or parallelism.
  const needsGraph = policies.some(
    (p) => p?.maxDuration !== undefined || p?.maxParallel !== undefined,
  );
  const plan = needsGraph
    ? buildPlan({ definition: def }, input)
    : { findings: safetyFindings(def, input), levels: [], criticalPathMs: 0 };
  const verdict = evaluatePolicies(plan, policies);
  if (verdict.action === 'block') return { action: 'block', verdict };
  if (verdict.action === 'approve') {
    return { action: 'approve', definition: withPolicyGate(def, verdict), verdict };
  }
  return { action: 'allow', definition: def };
}

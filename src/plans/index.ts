/**
 * Plans: what a run of a workflow with an input would do, before it runs — every error, the
 * parallel levels, the critical path, per-step duration estimates from history, and safety
 * findings (destructive commands, production without approval, missing timeouts, secrets in
 * argv).
 * @module
 */
export type { Finding, Plan, PlannedStep, Severity } from './plan-types.ts';
export { SEVERITIES_BY_RANK } from './plan-types.ts';
export { buildPlan, checkSource, type CheckedSource, type PlanSource } from './build-plan.ts';
export { createPlan, type PlanReader, type PlanRequest } from './create-plan.ts';
export { safetyFindings } from './safety-findings.ts';
export { argvMatches, scriptCommands, scriptMatches } from './destructive-commands.ts';
export {
  MAX_HISTORY_RUNS,
  median,
  stepSamples,
  type HistoryReader,
  type StepSamples,
} from './step-estimates.ts';
export {
  DEFAULT_GLOBAL_POLICY,
  evaluatePolicies,
  matchesFinding,
  policiesOf,
  type PolicyVerdict,
} from './evaluate-policy.ts';
export {
  judgeRun,
  withPolicyGate,
  POLICY_GATE_ID,
  POLICY_APPROVAL_TIMEOUT_MS,
  type RunJudgement,
} from './judge-run.ts';
export { loadPolicyFile, parsePolicyText, NO_POLICY } from './policy-file.ts';

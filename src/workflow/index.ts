/**
 * Workflow definitions: schema, parsing, DAG checks and planning, inputs, step environment,
 * argv templates and the exported JSON Schema.
 *
 * Exports:
 * - types: WorkflowDefinition, StepDefinition, StepKind, ExecStep, RunStep, SleepStep, NoopStep,
 *   HttpStep, NatsStep, WorkflowStep, StepBase, RetryPolicy, InputDefinition, SecretSource,
 *   WorkflowDocument
 * - call steps (step-kinds.ts): HttpCall, NatsCall, ChildWorkflowCall, HttpMethod, JsonValue,
 *   HTTP_METHODS, DEFAULT_EXPECTED_STATUS, DEFAULT_MAX_REDIRECTS, MAX_REDIRECTS,
 *   DEFAULT_NATS_TIMEOUT_MS
 * - parsing: parseWorkflow, parseWorkflowText, validateWorkflow, loadWorkflowFile, loadWorkflowDir,
 *   formatIssuePath, zodFieldIssues, ParseWorkflowOptions, WorkflowFormat, LoadedWorkflowFile,
 *   MAX_REPORTED_ISSUES, WORKFLOW_EXTENSIONS
 * - schema: workflowSchema, rawWorkflowSchema, rawStepSchema, resolveWorkflow, valueType, ID_PATTERN,
 *   INPUT_NAME_PATTERN, ENV_NAME_PATTERN, STEP_KINDS, DEFAULT_CONCURRENCY, MAX_CONCURRENCY,
 *   MAX_STEPS, MAX_ATTEMPTS, MAX_SECRETS, DEFAULT_SHELL, DEFAULT_RETRY, KNOWN_FIELDS,
 *   secretsSchema, secretNameIssues (shared with session definitions)
 * - durations: parseDuration, formatDuration, durationSchema, positiveDurationSchema,
 *   MAX_DURATION_MS, DURATION_PATTERN
 * - graph: checkDag, planDag, DagNode, DagIssue, DagPlan, PlanOptions
 * - inputs: resolveInputs, isPlainObject, MAX_INPUT_BYTES, MAX_INPUTS_TOTAL_BYTES
 * - environment: stepEnvironment, inputEnvName, valueToText, StepEnvironmentInput, STATOR_ENV,
 *   INPUT_ENV_PREFIX
 * - templates: renderArgv, renderTemplate, renderJson, checkTemplates, templateReferences,
 *   templateFields, hasTemplate, stepTemplateContext, TemplateContext, TemplateRef, TemplateField
 * - JSON Schema: workflowJsonSchema, WORKFLOW_SCHEMA_ID
 * - triggers: triggerSchema, triggerListSchema, TriggerDefinition, TriggerKind, TRIGGER_KINDS,
 *   NatsTriggerDefinition, CronTriggerDefinition, HttpTriggerDefinition, cronScheduleProblem,
 *   timezoneProblem, hookSecretEnv, resolveHookSecret, OverlapPolicy, OVERLAP_POLICIES,
 *   DEFAULT_OVERLAP, DEFAULT_MAX_QUEUED, MAX_MAX_QUEUED, CatchUpPolicy, CATCH_UP_POLICIES,
 *   DEFAULT_CATCH_UP, MAX_CATCH_UP_FIRES
 * @module
 */
export type {
  ExecStep,
  HttpStep,
  InputDefinition,
  NatsStep,
  NoopStep,
  RetryPolicy,
  RunStep,
  SecretSource,
  SleepStep,
  StepBase,
  StepDefinition,
  StepKind,
  WorkflowDefinition,
  WorkflowStep,
  ApprovalStep,
} from './types.ts';
export {
  formatIssuePath,
  loadWorkflowDir,
  loadWorkflowFile,
  MAX_REPORTED_ISSUES,
  parseWorkflow,
  parseWorkflowText,
  validateWorkflow,
  WORKFLOW_EXTENSIONS,
  zodFieldIssues,
} from './parse.ts';
export type { LoadedWorkflowFile, ParseWorkflowOptions, WorkflowFormat } from './parse.ts';
export {
  DEFAULT_CONCURRENCY,
  DEFAULT_RETRY,
  DEFAULT_SHELL,
  ENV_NAME_PATTERN,
  ID_PATTERN,
  INPUT_NAME_PATTERN,
  KNOWN_FIELDS,
  MAX_ATTEMPTS,
  MAX_CONCURRENCY,
  MAX_SECRETS,
  MAX_STEPS,
  rawStepSchema,
  rawWorkflowSchema,
  resolveWorkflow,
  ROLLBACK_SUFFIX,
  secretNameIssues,
  secretsSchema,
  STEP_KINDS,
  valueType,
  workflowSchema,
} from './schema.ts';
export type { WorkflowDocument } from './schema.ts';
export {
  DURATION_PATTERN,
  durationSchema,
  formatDuration,
  MAX_DURATION_MS,
  parseDuration,
  positiveDurationSchema,
} from './duration.ts';
export { checkDag, planDag } from './dag.ts';
export { policySchema, type Policy } from './policy.ts';
export {
  artifactPatternProblem,
  artifactsSchema,
  MAX_ARTIFACT_PATTERN_LENGTH,
  MAX_ARTIFACT_PATTERNS,
} from './artifact-patterns.ts';
export { freezeDefinition } from './freeze.ts';
export type { DagIssue, DagNode, DagPlan, PlanOptions } from './dag.ts';
export { isPlainObject, MAX_INPUT_BYTES, MAX_INPUTS_TOTAL_BYTES, resolveInputs } from './inputs.ts';
export {
  INPUT_ENV_PREFIX,
  inputEnvName,
  STATOR_ENV,
  STEPS_ENV_PREFIX,
  outputEnvName,
  stepEnvironment,
  itemToText,
  valueToText,
} from './step-env.ts';
export type { StepEnvironmentInput } from './step-env.ts';
export {
  checkFlowKeys,
  flowControlsOf,
  flowKey,
  keyExpressionError,
  MAX_FLOW_LIMIT,
  type FlowControls,
} from './flow-control.ts';
export {
  checkConditions,
  conditionError,
  conditionSteps,
  evaluateCondition,
  MAX_CONDITION_LENGTH,
  type ConditionContext,
} from './conditions.ts';
export {
  checkForEach,
  evaluateForEach,
  forEachSchema,
  instanceStepId,
  listProblem,
  MAX_FOR_EACH_BYTES,
  MAX_FOR_EACH_ITEMS,
  MAX_ITEM_BYTES,
  parseInstanceId,
} from './for-each.ts';
export {
  MAX_OUTPUT_BYTES,
  parseOutputFile,
  parseOutputJson,
  type ParsedOutputs,
} from './step-outputs.ts';
export {
  checkTemplates,
  hasTemplate,
  renderArgv,
  renderJson,
  renderTemplate,
  stepTemplateContext,
  templateFields,
  templateReferences,
} from './template.ts';
export type { TemplateContext, TemplateField, TemplateRef } from './template.ts';
export {
  DEFAULT_EXPECTED_STATUS,
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_NATS_TIMEOUT_MS,
  HTTP_METHODS,
  MAX_REDIRECTS,
  approverNameSchema,
  MAX_APPROVAL_MESSAGE,
  MAX_APPROVER_NAME,
} from './step-kinds.ts';
export type {
  ApprovalGate,
  ChildWorkflowCall,
  HttpCall,
  HttpMethod,
  JsonValue,
  NatsCall,
} from './step-kinds.ts';
export { WORKFLOW_SCHEMA_ID, workflowJsonSchema } from './json-schema.ts';
export {
  CATCH_UP_POLICIES,
  cronScheduleProblem,
  DEFAULT_CATCH_UP,
  DEFAULT_MAX_QUEUED,
  DEFAULT_OVERLAP,
  hookSecretEnv,
  MAX_CATCH_UP_FIRES,
  MAX_MAX_QUEUED,
  OVERLAP_POLICIES,
  resolveHookSecret,
  timezoneProblem,
  TRIGGER_KINDS,
  triggerListSchema,
  triggerSchema,
} from './triggers.ts';
export type {
  CatchUpPolicy,
  CronTriggerDefinition,
  HttpTriggerDefinition,
  NatsTriggerDefinition,
  OverlapPolicy,
  TriggerDefinition,
  TriggerKind,
} from './triggers.ts';

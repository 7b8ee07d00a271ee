/**
 * `createPlan`: the plan of a registered workflow (by id) or of an inline document (text or
 * object), with step estimates from the history of the workflow id either names.
 * @module
 */
import type { WorkflowDefinition } from '../workflow/index.ts';
import { buildPlan, checkSource } from './build-plan.ts';
import type { Plan } from './plan-types.ts';
import { stepSamples, type HistoryReader } from './step-estimates.ts';

/** What a plan request names: a registered workflow or a document, and the input. */
export interface PlanRequest {
  workflowId?: string;
  workflow?: unknown;
  input?: unknown;
}

/** The reads createPlan needs (the Stator's). */
export interface PlanReader extends HistoryReader {
  getWorkflow(id: string): Promise<{ definition: WorkflowDefinition }>;
}

/** Plans a request; NotFoundError for an unknown `workflowId`. */
export async function createPlan(reader: PlanReader, req: PlanRequest): Promise<Plan> {
  const checked =
    req.workflowId !== undefined
      ? { def: (await reader.getWorkflow(req.workflowId)).definition, errors: [] }
      : checkSource({ document: req.workflow });
  const samples = checked.def === undefined ? new Map() : await stepSamples(reader, checked.def.id);
  return buildPlan(checked, req.input, samples);
}

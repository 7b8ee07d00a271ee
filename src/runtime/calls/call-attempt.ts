/**
 * The attempt of a step without a process (`http`, `nats`, `workflow`), called by the
 * `runAttempt` actor once the run's context, environment and masker are known.
 *
 * Durable rules: the call is made only once the attempt's start (`step.started`) is stored, so
 * a restart always knows an attempt may have acted. An http or nats attempt that a previous
 * server started cannot be re-attached to (its connection died with that server): it counts as
 * lost and runs again, not using up a retry attempt. Such calls are therefore **at least once**:
 * a request may reach its server twice. A workflow attempt re-attaches to its child instead.
 *
 * Templates in the call's fields are rendered here (one string at a time, never a shell); a
 * missing value fails the step for good. Every log line passes the run's masker.
 * @module
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { AttemptInput, AttemptResult } from '../../../machines/step.machine.ts';
import { toStatorError } from '../../errors.ts';
import type { ExecutionEvent } from '../../events.ts';
import {
  renderJson,
  renderTemplate,
  type ApprovalStep,
  type HttpStep,
  type NatsStep,
  type TemplateContext,
  type WorkflowStep,
} from '../../workflow/index.ts';
import { runChildRun, type ChildRunDeps } from './child-run.ts';
import { runHttpCall } from './http-call.ts';
import type { CircuitBreakers } from './circuit-breaker.ts';
import { runNatsCall } from './nats-call.ts';
import { runApproval, type ApprovalAttemptDeps } from '../approvals/index.ts';

/** What call steps need of the service. */
export interface CallDeps {
  emit(event: ExecutionEvent): void;
  /** Resolves once every event of the run emitted so far is stored. */
  settled(executionId: string): Promise<void>;
  /** The service's NATS connection (cluster mode); absent: nats steps fail. */
  nats?: NatsConnection;
  /** Per-host circuit breakers of http steps (absent: none). */
  breakers?: CircuitBreakers;
  /** Child runs (absent: workflow steps fail). */
  childRuns?: ChildRunDeps;
  /** Approval steps (absent: they fail). */
  approvals?: ApprovalAttemptDeps;
}

/** The step of a call attempt. */
export type CallStep = HttpStep | NatsStep | WorkflowStep | ApprovalStep;

/** True for the kinds handled here. */
export function isCallStep(step: { kind: string }): step is CallStep {
  return (
    step.kind === 'http' ||
    step.kind === 'nats' ||
    step.kind === 'workflow' ||
    step.kind === 'approval'
  );
}

/** The error of an http or nats attempt cut off by a restart (it runs again). */
export const LOST_CALL = 'the call was cut off by a restart of the server';

/** Runs one attempt of a call step. */
export async function runCallAttempt(
  deps: CallDeps,
  input: AttemptInput & { step: CallStep },
  templates: TemplateContext,
  mask: (text: string) => string,
  signal: AbortSignal,
): Promise<AttemptResult> {
  const { step, executionId, workflowId, attempt } = input;
  // A workflow step re-attaches to its child, an approval step to its stored wait.
  if (input.resumed && step.kind !== 'workflow' && step.kind !== 'approval') {
    return { ok: false, exitCode: null, error: LOST_CALL, lost: true };
  }
  const log = (line: string) =>
    deps.emit({
      type: 'step.stdout',
      executionId,
      workflowId,
      stepId: step.id,
      attempt,
      line: mask(line),
    });
  await deps.settled(executionId);
  if (signal.aborted) return { ok: false, exitCode: null, error: 'cancelled' };
  let result: AttemptResult;
  try {
    result = await dispatch(deps, input, templates, signal, log, mask);
  } catch (err) {
    // Rendering refused a template (a missing input or output): the same every time.
    return { ok: false, exitCode: null, error: toStatorError(err).message, nonRetryable: true };
  }
  return result.error === undefined ? result : { ...result, error: mask(result.error) };
}

function dispatch(
  deps: CallDeps,
  input: AttemptInput & { step: CallStep },
  t: TemplateContext,
  signal: AbortSignal,
  log: (line: string) => void,
  mask: (text: string) => string,
): Promise<AttemptResult> {
  const { step, executionId, workflowId } = input;
  switch (step.kind) {
    case 'http': {
      const h = step.http;
      const headers = Object.fromEntries(
        Object.entries(h.headers).map(([k, v]) => [k, renderTemplate(v, t)]),
      );
      const call = {
        ...h,
        url: renderTemplate(h.url, t),
        headers,
        ...(h.body !== undefined && { body: renderJson(h.body, t) as typeof h.body }),
      };
      return runHttpCall(call, {
        signal,
        log,
        ...(deps.breakers && { breakers: deps.breakers }),
        onCircuit: (change) =>
          deps.emit(
            change.type === 'opened'
              ? {
                  type: 'circuit.opened',
                  executionId,
                  workflowId,
                  stepId: step.id,
                  host: change.host,
                  failures: change.failures,
                  until: new Date(change.until).toISOString(),
                }
              : {
                  type: 'circuit.closed',
                  executionId,
                  workflowId,
                  stepId: step.id,
                  host: change.host,
                },
          ),
      });
    }
    case 'nats': {
      if (deps.nats === undefined) {
        return Promise.resolve({
          ok: false,
          exitCode: null,
          error:
            'nats: this server has no NATS connection (nats steps need cluster mode: --nats or STATOR_NATS_URL)',
          nonRetryable: true,
        });
      }
      const n = step.nats;
      const call = {
        ...n,
        subject: renderTemplate(n.subject, t),
        ...(n.payload !== undefined && { payload: renderJson(n.payload, t) as typeof n.payload }),
      };
      return runNatsCall(call, { connection: deps.nats, signal, log });
    }
    case 'approval': {
      if (deps.approvals === undefined) {
        return Promise.resolve({
          ok: false,
          exitCode: null,
          error: 'approval: approvals are not available here',
          nonRetryable: true,
        });
      }
      const a = step.approval;
      return runApproval(
        deps.approvals,
        {
          executionId: input.executionId,
          workflowId: input.workflowId,
          stepId: step.id,
          attempt: input.attempt,
          message: mask(renderTemplate(a.message, t)),
          ...(a.approvers && { approvers: a.approvers }),
          timeoutMs: a.timeoutMs,
        },
        signal,
      );
    }
    case 'workflow': {
      if (deps.childRuns === undefined) {
        return Promise.resolve({
          ok: false,
          exitCode: null,
          error: 'workflow: child runs are not available here',
          nonRetryable: true,
        });
      }
      return runChildRun(deps.childRuns, {
        name: step.workflow.name,
        inputs: renderJson(step.workflow.inputs, t) as Record<string, unknown>,
        executionId: input.executionId,
        workflowId: input.workflowId,
        stepId: step.id,
        attempt: input.attempt,
        resumed: input.resumed,
        signal,
        log,
      });
    }
  }
}

/**
 * Deciding approvals from any front door, and listing what waits for a person.
 *
 * A decision goes to the process that holds the run, like a cancel (execution-cancel.ts): taken
 * here when the run is live (or being adopted) here, else asked on `stator.execution.<id>.in`,
 * which only the holder subscribes. The holder takes it through `takeDecision` (first wins,
 * stored before the answer). A run nobody holds cannot be decided: a stored decision or a final
 * run answers `conflict`, a run whose record says it waits (its node is gone and nobody adopted
 * it yet) `unavailable`.
 * @module
 */
import { requestOwner, type Bus } from '../../bus/index.ts';
import {
  ConflictError,
  ForbiddenError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from '../../errors.ts';
import {
  FINAL_EXECUTION_STATUSES,
  type ExecutionRecord,
  type StepRecord,
  type Store,
} from '../../store/index.ts';
import type { Clock } from '../../clock.ts';
import type { LiveExecutions } from '../live-executions.ts';
import type { OwnedExecutions } from '../service/owned-executions.ts';
import {
  alreadyDecided,
  takeDecision,
  type ApprovalGates,
  type DecisionDeps,
} from './approval-gates.ts';

/** A decision as asked for. */
export interface DecisionRequest {
  approved: boolean;
  /** The step to decide; may be left out when one step of the run waits. */
  stepId?: string;
  /** @default "anonymous" */
  by?: string;
  comment?: string;
}

/** A decision as taken. */
export interface ApprovalAnswer {
  executionId: string;
  workflowId: string;
  stepId: string;
  attempt: number;
  approved: boolean;
  by: string;
  at: string;
  comment?: string;
}

/** An approval waiting for a person. */
export interface ApprovalView {
  executionId: string;
  workflowId: string;
  stepId: string;
  attempt: number;
  message: string;
  approvers?: string[];
  since: string;
  deadline: string;
}

/** What deciding and listing use. */
export interface ApprovalsContext {
  gates: ApprovalGates;
  decisions: DecisionDeps;
  executions: Pick<LiveExecutions, 'get'>;
  owned: Pick<OwnedExecutions, 'adopting'>;
  bus: Pick<Bus, 'request' | 'subjects'>;
  store: Pick<Store, 'listExecutions'>;
  /** The run's record (live here, else stored); NotFoundError when there is none. */
  getExecution(id: string): Promise<ExecutionRecord>;
  clock: Pick<Clock, 'now'>;
  /** How long the holder may take to answer. @default 15000 */
  ownerTimeoutMs?: number;
}

/** The `by` of a decision without a name. */
export const ANONYMOUS = 'anonymous';
/** How long a holder that is resuming a waiting run waits for its gate to reopen. */
const REOPEN_WAIT_MS = 5000;
/** Runs read per listing at most (the oldest waiting ones are listed first). */
const MAX_LISTED_RUNS = 2000;

/** Decides and lists approvals. */
export class Approvals {
  constructor(private readonly ctx: ApprovalsContext) {}

  /** Decides a waiting approval of run `id`, wherever the run is held. */
  async decide(id: string, request: DecisionRequest): Promise<ApprovalAnswer> {
    const here = await this.#decideHere(id, request);
    if (here) return here;
    const record = await this.ctx.getExecution(id);
    if (FINAL_EXECUTION_STATUSES.includes(record.status)) throw notWaiting(record, request.stepId);
    const answer = await requestOwner<ApprovalAnswer>(
      this.ctx.bus,
      this.ctx.bus.subjects.actorIn('execution', id),
      {
        type: request.approved ? 'approve' : 'reject',
        ...(request.stepId !== undefined && { stepId: request.stepId }),
        ...(request.by !== undefined && { by: request.by }),
        ...(request.comment !== undefined && { comment: request.comment }),
      },
      this.ctx.ownerTimeoutMs ?? 15_000,
    );
    if (answer.held) return answer.data;
    const now = await this.ctx.getExecution(id);
    if (waitingSteps(now).length > 0 && !FINAL_EXECUTION_STATUSES.includes(now.status)) {
      throw new UnavailableError(
        `execution '${id}' waits for an approval but no process holds it now; try again shortly`,
      );
    }
    throw notWaiting(now, request.stepId);
  }

  /** A decision arriving on `stator.execution.<id>.in`, subscribed here. Never asks elsewhere. */
  async decideOwned(id: string, request: DecisionRequest): Promise<ApprovalAnswer> {
    const here = await this.#decideHere(id, request);
    if (here) return here;
    throw notWaiting(await this.ctx.getExecution(id), request.stepId);
  }

  /** Approvals waiting for a person, oldest first. */
  async list(): Promise<ApprovalView[]> {
    const views: ApprovalView[] = [];
    let cursor: string | undefined;
    let read = 0;
    do {
      const page = await this.ctx.store.listExecutions({
        status: 'awaiting_approval',
        limit: 500,
        ...(cursor !== undefined && { cursor }),
      });
      for (const summary of page.items) {
        const record = await this.ctx.getExecution(summary.id).catch(() => undefined);
        if (record) views.push(...waitingSteps(record).map((s) => viewOf(record, s)));
      }
      read += page.items.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && read < MAX_LISTED_RUNS);
    return views.sort((a, b) =>
      a.since < b.since ? -1 : a.since > b.since ? 1 : a.executionId < b.executionId ? -1 : 1,
    );
  }

  /** Undefined when the run is not live here. */
  async #decideHere(id: string, request: DecisionRequest): Promise<ApprovalAnswer | undefined> {
    const { executions, owned, gates } = this.ctx;
    if (!executions.get(id)) await owned.adopting(id)?.catch(() => undefined);
    if (!executions.get(id)) return undefined;
    let open = gates.of(id);
    if (open.length === 0) {
      // Resumed after a restart: the stored wait comes back once its attempt runs again.
      const record = await this.ctx.getExecution(id);
      const stored = waitingSteps(record);
      if (stored.length === 0) throw notWaiting(record, request.stepId);
      await gates.whenOpened(id, REOPEN_WAIT_MS);
      open = gates.of(id);
      if (open.length === 0) throw notWaiting(await this.ctx.getExecution(id), request.stepId);
    }
    let gate = open[0]!;
    if (request.stepId !== undefined) {
      const named = open.find((g) => g.stepId === request.stepId);
      if (!named) throw notWaiting(await this.ctx.getExecution(id), request.stepId);
      gate = named;
    } else if (open.length > 1) {
      throw new InvalidArgumentError(
        `several steps of execution '${id}' wait for an approval (${open.map((g) => g.stepId).join(', ')}): name one with stepId`,
        { steps: open.map((g) => g.stepId) },
      );
    }
    const by = request.by ?? ANONYMOUS;
    if (gate.approvers !== undefined && !gate.approvers.includes(by)) {
      throw new ForbiddenError(
        `'${by}' may not decide step '${gate.stepId}' (approvers: ${gate.approvers.join(', ')})`,
        { stepId: gate.stepId, approvers: gate.approvers },
      );
    }
    const decision = await takeDecision(this.ctx.decisions, gate, {
      approved: request.approved,
      by,
      at: new Date(this.ctx.clock.now()).toISOString(),
      ...(request.comment !== undefined && { comment: request.comment }),
    });
    return {
      executionId: id,
      workflowId: gate.workflowId,
      stepId: gate.stepId,
      attempt: gate.attempt,
      ...decision,
    };
  }
}

/** Steps of a record waiting for a decision (asked, undecided, still running). */
export function waitingSteps(record: ExecutionRecord): StepRecord[] {
  return record.steps.filter(
    (s) =>
      s.approval !== undefined &&
      s.approval.decision === undefined &&
      s.status === 'running' &&
      s.approval.attempt === s.attempts,
  );
}

function viewOf(record: ExecutionRecord, step: StepRecord): ApprovalView {
  const a = step.approval!;
  return {
    executionId: record.id,
    workflowId: record.workflowId,
    stepId: step.id,
    attempt: a.attempt,
    message: a.message,
    ...(a.approvers && { approvers: a.approvers }),
    since: a.since,
    deadline: a.deadline,
  };
}

/** Why nothing of `record` can be decided now (a conflict, or an unknown step). */
function notWaiting(record: ExecutionRecord, stepId?: string): ConflictError | NotFoundError {
  const decided = record.steps.filter((s) => s.approval?.decision !== undefined);
  const step =
    stepId === undefined
      ? decided.sort((a, b) => (a.approval!.decision!.at < b.approval!.decision!.at ? 1 : -1))[0]
      : record.steps.find((s) => s.id === stepId);
  if (stepId !== undefined && step === undefined) return new NotFoundError('step', stepId);
  if (step?.approval?.decision) return alreadyDecided(record.id, step.id, step.approval.decision);
  const what = stepId === undefined ? `execution '${record.id}'` : `step '${stepId}'`;
  return new ConflictError(`${what} is not waiting for an approval (status ${record.status})`, {
    status: record.status,
  });
}

/**
 * Approval steps and decisions (issue 12, item 5): gates waiting here (approval-gates.ts), the
 * attempt of an approval step (approval-attempt.ts), deciding from any front door and listing
 * (approval-service.ts).
 * @module
 */
export {
  ApprovalGates,
  alreadyDecided,
  takeDecision,
  type DecisionDeps,
  type OpenGate,
} from './approval-gates.ts';
export {
  approvalResult,
  runApproval,
  type ApprovalAttemptDeps,
  type ApprovalAttemptInput,
} from './approval-attempt.ts';
export {
  ANONYMOUS,
  Approvals,
  waitingSteps,
  type ApprovalAnswer,
  type ApprovalsContext,
  type ApprovalView,
  type DecisionRequest,
} from './approval-service.ts';

/**
 * The command layer: one validated command per API operation, shared by the HTTP routes and
 * the `stator.api.<command>` request-reply subjects.
 *
 * Exports: `dispatch`, `dispatchReply`, `CommandReply`, `COMMANDS`, `COMMAND_NAMES`, `CommandName`, `CommandResult`,
 * `isCommandName`, `getCommand`, `Command`, `CommandOutput`, `defineCommand`,
 * `parseEventFilter`, `eventFilterSchema`, `parseInput`, `fieldIssues`, `EXECUTION_STATUSES`,
 * `SEVERITIES`, `MAX_PAGE_LIMIT`, `ExecutionDetail`, `WorkflowSummary`, `toExecutionDetail`,
 * `toWorkflowSummary`, `MAX_STATISTICS_WINDOW_MS`, `CommandContext`, `RateLimiter`,
 * `RateLimiterOptions`, `ResolvedRateLimiterOptions`, `RateDecision`, `resolveRateLimiterOptions`,
 * `clientRateKey`, `DEFAULT_RATE_PER_SECOND`, `DEFAULT_RATE_BURST`, `DEFAULT_RATE_MAX_BUCKETS`,
 * `SESSION_COMMANDS`, `sessionsOf`, `sessionRateKey`,
 * `MAX_SESSION_INPUT_CHARS`, `MAX_SESSION_LOG_LINES`.
 * @module
 */
export {
  dispatch,
  dispatchReply,
  type CommandReply,
  COMMANDS,
  COMMAND_NAMES,
  isCommandName,
  getCommand,
  type CommandName,
  type CommandResult,
} from './dispatch.ts';
export { defineCommand, type Command, type CommandContext, type CommandOutput } from './types.ts';
export {
  RateLimiter,
  resolveRateLimiterOptions,
  clientRateKey,
  DEFAULT_RATE_PER_SECOND,
  DEFAULT_RATE_BURST,
  DEFAULT_RATE_MAX_BUCKETS,
  type RateLimiterOptions,
  type ResolvedRateLimiterOptions,
  type RateDecision,
} from './rate-limiter.ts';
export {
  SESSION_COMMANDS,
  sessionsOf,
  sessionRateKey,
  MAX_SESSION_INPUT_CHARS,
  MAX_SESSION_LOG_LINES,
} from './session-commands.ts';
export { MAX_STATISTICS_WINDOW_MS } from './monitor-commands.ts';
export {
  parseEventFilter,
  eventFilterSchema,
  parseInput,
  fieldIssues,
  prioritySchema,
  EXECUTION_STATUSES,
  SEVERITIES,
  MAX_PAGE_LIMIT,
} from './schemas.ts';
export {
  toExecutionDetail,
  toWorkflowSummary,
  type ExecutionDetail,
  type WorkflowSummary,
} from './views.ts';

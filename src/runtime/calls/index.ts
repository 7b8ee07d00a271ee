/**
 * Steps without a process: `http`, `nats` and `workflow` (child runs).
 * @module
 */
export { isCallStep, LOST_CALL, runCallAttempt } from './call-attempt.ts';
export type { CallDeps, CallStep } from './call-attempt.ts';
export { childRunKey, MAX_CHILD_DEPTH } from './child-run.ts';
export type { ChildRunDeps } from './child-run.ts';

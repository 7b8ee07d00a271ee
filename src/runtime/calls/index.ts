/**
 * Steps without a process: `http`, `nats` and `workflow` (child runs).
 * @module
 */
export { isCallStep, LOST_CALL, runCallAttempt } from './call-attempt.ts';
export type { CallDeps, CallStep } from './call-attempt.ts';
export { childRunKey, MAX_CHILD_DEPTH } from './child-run.ts';
export type { ChildRunDeps } from './child-run.ts';
export {
  CircuitBreakers,
  DEFAULT_CIRCUIT_COOL_DOWN_MS,
  DEFAULT_CIRCUIT_FAILURES,
  resolveCircuitBreakerOptions,
} from './circuit-breaker.ts';
export type {
  CircuitBreakerOptions,
  CircuitChange,
  ResolvedCircuitBreakerOptions,
} from './circuit-breaker.ts';
export { circuitOpenError } from './http-call.ts';

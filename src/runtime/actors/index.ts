/**
 * The live actors of a service: the per-process directory fed by XState's inspection events,
 * and the service-wide view over it (every node's actors in cluster mode).
 * Exports: ActorDirectory, ActorBrief, ActorDetail, ActorTransition, TRANSITIONS_KEPT,
 * LiveActors, ActorFilter, localActors, clusterActors, summarize, connectStatelyInspector,
 * INSPECT_BACKLOG.
 * @module
 */
export {
  ActorDirectory,
  TRANSITIONS_KEPT,
  type ActorBrief,
  type ActorDetail,
  type ActorTransition,
} from './actor-directory.ts';
export { clusterActors, localActors, type ActorFilter, type LiveActors } from './live-actors.ts';
export { summarize } from './context-summary.ts';
export { connectStatelyInspector, INSPECT_BACKLOG } from './stately-inspector.ts';

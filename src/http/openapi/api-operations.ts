/**
 * Every operation of the HTTP API, as the OpenAPI document describes it: method, path, the
 * command whose zod input schema gives its parameters and body, and its answers. The routes
 * themselves live in the `*-routes.ts` files; a test holds the two together (every route here,
 * nothing here that is not a route). The table is written per resource in `operations-*.ts`
 * with the builder of `api-operation.ts`; this file puts it together in document order.
 * @module
 */
import type { ApiOperation } from './api-operation.ts';
import { CLUSTER_OPERATIONS } from './operations-cluster.ts';
import { EVENT_OPERATIONS } from './operations-events.ts';
import { EXECUTION_OPERATIONS } from './operations-executions.ts';
import { SESSION_OPERATIONS } from './operations-sessions.ts';
import { SYSTEM_OPERATIONS } from './operations-system.ts';
import { TRIGGER_OPERATIONS } from './operations-triggers.ts';
import { WORKFLOW_OPERATIONS } from './operations-workflows.ts';

export type { ApiOperation, ContentKind, InputPlace, SpecialBody } from './api-operation.ts';

/** The operations, grouped by resource. */
export const API_OPERATIONS: readonly ApiOperation[] = [
  ...SYSTEM_OPERATIONS,
  ...WORKFLOW_OPERATIONS,
  ...EXECUTION_OPERATIONS,
  ...TRIGGER_OPERATIONS,
  ...SESSION_OPERATIONS,
  ...CLUSTER_OPERATIONS,
  ...EVENT_OPERATIONS,
];

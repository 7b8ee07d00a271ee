/**
 * The workflows role of the Store: registered workflow definitions, versioned by the store.
 * @module
 */
import type { WorkflowDefinition } from '../../workflow/index.ts';
import type { Page } from './page.ts';

/** A stored workflow definition. */
export interface WorkflowRecord {
  id: string;
  definition: WorkflowDefinition;
  /** The text it was registered from (YAML or JSON), when there was one. */
  source?: string;
  /** Incremented on every replace, starting at 1. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** Paging of the workflow list; ordered by id. */
export interface WorkflowQuery {
  limit?: number;
  cursor?: string;
}

/** Stores workflow definitions. */
export interface WorkflowStore {
  /** Upserts by id; the store sets `version` (1 on first put, +1 on replace) and keeps `createdAt`. */
  putWorkflow(record: WorkflowRecord): Promise<void>;
  getWorkflow(id: string): Promise<WorkflowRecord | undefined>;
  listWorkflows(query?: WorkflowQuery): Promise<Page<WorkflowRecord>>;
  /** Returns false when there was none. Past executions stay. */
  deleteWorkflow(id: string): Promise<boolean>;
}

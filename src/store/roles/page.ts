/**
 * The page shape shared by the store's lists (workflows, executions).
 * @module
 */

/** A page of a list. `nextCursor` is opaque; null at the end. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

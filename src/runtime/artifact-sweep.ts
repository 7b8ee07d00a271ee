/**
 * Artifacts go with their execution: after retention prunes runs, the artifacts of every run
 * the store no longer has are removed (found through the artifact store's list of runs, so
 * artifacts left by a crash between the two deletions go on the next pass too).
 * @module
 */
import type { ArtifactStore } from '../artifacts/index.ts';
import type { Store } from '../store/index.ts';

/** Removes the artifacts of runs `store` no longer has; resolves to how many runs lost theirs. */
export async function sweepArtifacts(
  artifacts: Pick<ArtifactStore, 'executions' | 'deleteExecution'>,
  store: Pick<Store, 'getExecution'>,
): Promise<number> {
  let removed = 0;
  for (const id of await artifacts.executions()) {
    if ((await store.getExecution(id)) !== undefined) continue;
    await artifacts.deleteExecution(id);
    removed++;
  }
  return removed;
}

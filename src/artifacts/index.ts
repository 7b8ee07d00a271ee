/**
 * Step artifacts: the ArtifactStore seam (files under the data directory, or a JetStream object
 * store), the collector that keeps a step's declared files safely, and artifact names.
 * @module
 */
export {
  ArtifactTooLargeError,
  DEFAULT_ARTIFACT_MAX_FILE_BYTES,
  DEFAULT_ARTIFACT_MAX_RUN_BYTES,
  MAX_ARTIFACT_NAME_LENGTH,
  MAX_ARTIFACT_WALK_ENTRIES,
  MAX_ARTIFACTS_PER_STEP,
  type ArtifactDownload,
  type ArtifactInfo,
  type ArtifactLimits,
  type ArtifactStore,
  type RefusedArtifact,
} from './types.ts';
export { artifactName, downloadFilename, isArtifactName } from './artifact-names.ts';
export { compileGlob, type CompiledGlob } from './glob-match.ts';
export { ArtifactCollector, type CollectInput, type CollectResult } from './collect-artifacts.ts';
export { createFsArtifactStore } from './fs-artifact-store.ts';
export {
  createObjectArtifactStore,
  type ObjectArtifactStoreOptions,
} from './object-artifact-store.ts';

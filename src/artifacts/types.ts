/**
 * The artifact seam: where the files a step declares in `artifacts:` are kept. Two
 * implementations run one conformance suite (test/conformance/artifact-store.case.ts): files
 * under the data directory (embedded mode) and a JetStream object store (cluster mode).
 * @module
 */
import type { Readable } from 'node:stream';

/** Default of `ArtifactLimits.maxFileBytes`: 50 MiB. */
export const DEFAULT_ARTIFACT_MAX_FILE_BYTES = 50 * 1024 * 1024;
/** Default of `ArtifactLimits.maxRunBytes`: 200 MiB. */
export const DEFAULT_ARTIFACT_MAX_RUN_BYTES = 200 * 1024 * 1024;
/** Files one step may keep (matches past it are refused). */
export const MAX_ARTIFACTS_PER_STEP = 1000;
/** Directory entries one glob may look at before the walk stops. */
export const MAX_ARTIFACT_WALK_ENTRIES = 20_000;
/** Characters of an artifact's name (`<stepId>/<path>`). */
export const MAX_ARTIFACT_NAME_LENGTH = 2048;

/** Bounds of what is kept. */
export interface ArtifactLimits {
  /** @default DEFAULT_ARTIFACT_MAX_FILE_BYTES */
  maxFileBytes: number;
  /** Bytes of all of one run's artifacts. @default DEFAULT_ARTIFACT_MAX_RUN_BYTES */
  maxRunBytes: number;
}

/** A kept file: `name` is `<stepId>/<path relative to the step's working directory>`. */
export interface ArtifactInfo {
  name: string;
  size: number;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
}

/** A matched file that was not kept, and why (over a bound, a symlink out, not a file). */
export interface RefusedArtifact {
  name: string;
  reason: string;
}

/** An artifact being read. */
export interface ArtifactDownload {
  size: number;
  stream: Readable;
}

/** Where artifacts are kept; names are checked by the caller (checkArtifactName). */
export interface ArtifactStore {
  /**
   * Keeps `source` as `name` of `executionId` (replacing one of that name). Rejects, keeping
   * nothing, once more than `maxBytes` come. Resolves to what was stored.
   */
  put(executionId: string, name: string, source: Readable, maxBytes: number): Promise<ArtifactInfo>;
  /** Opens an artifact; undefined when there is none of that name. */
  get(executionId: string, name: string): Promise<ArtifactDownload | undefined>;
  /** The run's artifacts, by name. */
  list(executionId: string): Promise<ArtifactInfo[]>;
  /** Removes every artifact of the run (nothing when it has none). */
  deleteExecution(executionId: string): Promise<void>;
  /** Ids of the runs that have artifacts (for the retention sweep). */
  executions(): Promise<string[]>;
}

/** Thrown by `put` when the source is longer than its bound. */
export class ArtifactTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`more than ${maxBytes} bytes`);
    this.name = 'ArtifactTooLargeError';
  }
}

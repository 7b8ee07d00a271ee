/**
 * `execution.artifacts`: the files a run's steps kept (and refused), from its record. The bytes
 * are downloaded over HTTP (`GET /api/executions/{id}/artifacts/{name}`); over NATS this listing
 * is what there is (a reply is bounded, an artifact is up to 50 MiB).
 * @module
 */
import { z } from 'zod';
import { defineCommand } from './types.ts';
import { idSchema } from './schemas.ts';
import type { StepArtifact } from '../store/index.ts';

/** One artifact of a run, with the step that kept it. */
export type ExecutionArtifact = StepArtifact & { stepId: string };

/** `execution.artifacts`: every step's artifacts, in step order. */
export const executionArtifacts = defineCommand({
  name: 'execution.artifacts',
  description: "Lists the files a run's steps kept as artifacts (name, size, sha256) and refused",
  input: z.object({ id: idSchema }),
  handler: async (stator, { id }): Promise<{ artifacts: ExecutionArtifact[] }> => {
    const record = await stator.getExecution(id);
    const artifacts = record.steps.flatMap((s) =>
      (s.artifacts ?? []).map((a) => ({ stepId: s.id, ...a })),
    );
    return { artifacts };
  },
});

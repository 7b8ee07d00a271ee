import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsArtifactStore } from '../../../src/artifacts/index.ts';
import { runArtifactStoreConformance } from '../../conformance/artifact-store.case.ts';

runArtifactStoreConformance({
  name: 'files',
  async create() {
    const dir = await mkdtemp(join(tmpdir(), 'stator-artifacts-'));
    return {
      store: createFsArtifactStore(join(dir, 'artifacts')),
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  },
});

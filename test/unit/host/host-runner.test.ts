import { afterAll, beforeAll } from 'vitest';
import type { HostClient } from '../../../src/host/index.ts';
import { runProcessRunnerConformance } from '../../conformance/process-runner.case.ts';
import { hostFixture, type HostFixture } from './host-fixture.ts';

let fixture: HostFixture;
beforeAll(() => {
  fixture = hostFixture();
});
afterAll(() => fixture.cleanup());

runProcessRunnerConformance({
  name: 'process host client',
  create: (options) => fixture.connect(options),
  dispose: (runner) => (runner as HostClient).close(),
});

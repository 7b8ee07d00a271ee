import { MemoryWorkQueue } from '../../../../src/runtime/index.ts';
import { runWorkQueueConformance } from '../../../conformance/work-queue.case.ts';

runWorkQueueConformance({
  name: 'memory',
  create: async (limit) => ({ queue: new MemoryWorkQueue(limit), dispose: async () => {} }),
});

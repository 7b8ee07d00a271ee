import { systemClock } from '../../../../src/clock.ts';
import { MemoryFlowGate } from '../../../../src/runtime/flow/index.ts';
import { runFlowGateConformance } from '../../../conformance/flow-gate.case.ts';

runFlowGateConformance({
  name: 'memory',
  async create(ready, superseded) {
    const gate = new MemoryFlowGate({ clock: systemClock, ready, superseded });
    return { gate, dispose: () => gate.close() };
  },
});

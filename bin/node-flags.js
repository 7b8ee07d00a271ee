// V8 flags the service runs with (bin/stator.js, `npm start`, the benchmarks).
// A 64 MiB young generation: a busy engine allocates fast and keeps many short-lived objects
// alive across a few turns of the loop (pending writes, events waiting for their commit); with
// the default size they were copied out of the young generation, and GC took ~25 % of a noop
// step's time instead of ~20 %.
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=64'];

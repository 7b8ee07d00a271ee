/**
 * The cluster's event stream (the JetStream `<prefix>_events` stream) as the monitor's
 * EventStream: the live feed of every node's events and resumes by stream sequence.
 * Exports: createJetStreamEventStream, JetStreamEventStreamOptions.
 * @module
 */
export {
  createJetStreamEventStream,
  type JetStreamEventStreamOptions,
} from './jetstream-event-stream.ts';

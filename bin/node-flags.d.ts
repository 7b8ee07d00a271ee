/** V8 flags the service runs with (see node-flags.js). */
export declare const SERVICE_NODE_FLAGS: readonly string[];

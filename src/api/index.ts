/**
 * The command API on the bus (`<prefix>.api.*`) and its micro-service discovery.
 * Exports: startBusApi, BusApi, BusApiOptions, MicroService, EndpointStats.
 * @module
 */
export { startBusApi } from './nats-api.ts';
export type { BusApi, BusApiOptions } from './nats-api.ts';
export { MicroService } from './micro-service.ts';
export type { EndpointStats, MicroServiceInfo } from './micro-service.ts';

/**
 * The command API on the bus (`stator.api.*`) and its micro-service discovery.
 * Exports: startBusApi, API_QUEUE_GROUP, BusApi, BusApiOptions, MicroService, EndpointStats.
 * @module
 */
export { startBusApi, API_QUEUE_GROUP } from './nats-api.ts';
export type { BusApi, BusApiOptions } from './nats-api.ts';
export { MicroService } from './micro-service.ts';
export type { EndpointStats, MicroServiceInfo } from './micro-service.ts';

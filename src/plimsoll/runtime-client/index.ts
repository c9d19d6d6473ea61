/**
 * The Plimsoll runtime client: what a Node.js service embeds to be governed by Plimsoll. See
 * README.md in this folder.
 */
export { ConfigMapRuntimeSource, type ConfigMapSourceOptions } from './configmap-source.js';
export { FileRuntimeSource } from './file-source.js';
export type { RuntimeLogger } from './logger.js';
export { serviceLevelMiddleware, type ServiceLevelMiddlewareOptions, type ServiceLevelSource } from './middleware.js';
export { ResizablePool, type PoolStats, type ResizablePoolOptions } from './pool.js';
export { QueueKnobs, type GovernedQueue, type QueueState, type RateLimit } from './queues.js';
export { RuntimeClient, type RuntimeClientOptions } from './runtime-client.js';
export type { RuntimeSource, RuntimeUpdate } from './source.js';

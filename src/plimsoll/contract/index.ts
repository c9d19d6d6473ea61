/**
 * The contract between the operator and the replicas it governs: the runtime document, the
 * health fields that acknowledge it, the service levels, where the document lives in Kubernetes,
 * and the metric names policies read. Imported by the operator, the runtime client, the matcher,
 * the simulator and the tools; nothing else defines any of it.
 */
export * from './health.js';
export * from './kubernetes.js';
export * from './metrics.js';
export * from './runtime-document.js';
export * from './service-levels.js';

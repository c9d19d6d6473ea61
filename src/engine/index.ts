export { decide, type EngineInput } from './decide.js';
export * from './types.js';

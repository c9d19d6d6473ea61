export { decide, recordScale, type EngineInput } from './decide.js';
export * from './types.js';
export * from './fleet.js';
export * from './persisted-memory.js';
export { executePlan, type Actuator, type PlanOutcome } from './execute-plan.js';

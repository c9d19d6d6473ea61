import type { Logger } from '../observability/logger.js';

/** What the runtime client logs through: any pino logger (or one with the same two methods). */
export type RuntimeLogger = Pick<Logger, 'info' | 'warn'>;

import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** The component, e.g. `matcher` or `operator`; becomes the `name` field of every line. */
  name: string;
  level?: string;
  /** Where lines go; stdout by default (tests pass a stream or use level `silent`). */
  destination?: DestinationStream;
}

/** One JSON line per event; created in each entry point and injected, never imported as a global. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', '*.apiKey', '*.password'], censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

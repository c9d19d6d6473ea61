import type { CliCommand } from '../../plimsoll/shared/command-line.js';
import { parseOptions } from '../../plimsoll/shared/command-line.js';
import { loadMatcherConfig } from '../config.js';
import { createLogger } from '../../plimsoll/observability/logger.js';
import { createMetricsRegistry } from '../../plimsoll/observability/metrics.js';
import { startMatcher } from '../server.js';

const usage = `Usage: matcher serve [options]

Runs the matcher HTTP API (resumes, job descriptions, analyses; /healthz, /readyz,
/health/details, /metrics). Configuration comes from MATCHER_* environment variables
(see docs/matcher.md); the options below override a few of them.

Options:
  --port N      listen port (default MATCHER_PORT or 18080)
  --host HOST   listen address (default MATCHER_HOST or 127.0.0.1)
  -h, --help    this text

SIGTERM or SIGINT: stop accepting, finish in-flight requests, close the pool, exit 0.
`;

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'run the matcher HTTP API',
  usage,
  async run(argv) {
    const values = parseOptions('matcher serve', argv, { port: { type: 'string' }, host: { type: 'string' } });
    const overrides: Record<string, string> = {};
    if (values.port !== undefined) overrides.MATCHER_PORT = values.port;
    if (values.host !== undefined) overrides.MATCHER_HOST = values.host;
    const config = loadMatcherConfig(undefined, overrides);
    const logger = createLogger({ name: config.serviceName, level: config.logLevel });
    const registry = createMetricsRegistry({ labels: { service: config.serviceName } });
    const matcher = await startMatcher({ config, logger, registry });
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => void matcher.shutdown(signal).then(resolve);
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    logger.flush();
    return 0;
  },
};

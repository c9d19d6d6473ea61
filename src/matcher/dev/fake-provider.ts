import type { CliCommand } from '../../plimsoll/shared/command-line.js';
import { parseOptions } from '../../plimsoll/shared/command-line.js';
import { PlimsollError } from '../../plimsoll/errors.js';
import { FakeProviderServer, fakeProviderSettingsSchema } from './fake-provider-server.js';

const usage = `Usage: matcher-dev fake-provider [options]

A simulated OpenAI-compatible AI provider (POST /v1/chat/completions) for the matcher's tests,
benchmarks and the local stack. Answers are the local matcher's analysis of the prompt.

Options:
  --port N              listen port (default 18181)
  --host HOST           listen address (default 127.0.0.1)
  --name NAME           model name in replies (default fake)
  --latency-ms N        median latency (default 200)
  --distribution D      fixed | uniform | lognormal (default lognormal)
  --jitter-ms N         uniform spread (default 100)
  --sigma S             lognormal sigma (default 0.35)
  --error-rate P        share of 500s, 0..1 (default 0)
  --invalid-rate P      share of unusable (non-JSON) replies, 0..1 (default 0)
  --rate-limit N        requests per window before 429 + Retry-After (default 0 = none)
  --rate-window-ms N    the rate-limit window (default 60000)
  --mode M              normal | outage | brownout (default normal)
  -h, --help            this text

At runtime:
  curl -XPOST localhost:18181/admin/mode -d '{"mode":"outage"}'     # or brownout, normal; any option above in camelCase
  curl localhost:18181/admin/stats
`;

export const fakeProviderCommand: CliCommand = {
  name: 'fake-provider',
  summary: 'run a simulated OpenAI-compatible AI provider (latency, errors, 429s, outage/brownout)',
  usage,
  async run(argv, io) {
    const values = parseOptions('matcher-dev fake-provider', argv, {
      port: { type: 'string' }, host: { type: 'string' }, name: { type: 'string' }, 'latency-ms': { type: 'string' },
      distribution: { type: 'string' }, 'jitter-ms': { type: 'string' }, sigma: { type: 'string' }, 'error-rate': { type: 'string' },
      'invalid-rate': { type: 'string' }, 'rate-limit': { type: 'string' }, 'rate-window-ms': { type: 'string' }, mode: { type: 'string' },
    });
    const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    const raw = {
      name: values.name, mode: values.mode, latencyMs: num(values['latency-ms']), distribution: values.distribution,
      jitterMs: num(values['jitter-ms']), sigma: num(values.sigma), errorRate: num(values['error-rate']), invalidRate: num(values['invalid-rate']),
      rateLimit: num(values['rate-limit']), rateWindowMs: num(values['rate-window-ms']),
    };
    const parsed = fakeProviderSettingsSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
    if (!parsed.success) {
      throw new PlimsollError('USAGE', 'invalid fake-provider options', { problems: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
    }
    const port = Number(values.port ?? 18181);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new PlimsollError('USAGE', `--port ${values.port} is not a port`);
    const server = new FakeProviderServer(parsed.data);
    const url = await server.listen(port, values.host ?? '127.0.0.1');
    io.stdout.write(`${JSON.stringify({ msg: 'fake provider listening', url, settings: server.settings })}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    await server.close();
    return 0;
  },
};

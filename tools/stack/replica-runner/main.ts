/**
 * DEVELOPMENT HARNESS — not part of the product. The replica runner and the local load
 * balancer as one process (what `make up` starts; see docs/local-stack.md):
 *
 *   node --import tsx tools/stack/replica-runner/main.ts [options]
 *
 * SIGTERM/SIGINT: every replica process gets SIGTERM and drains, then the load balancer closes.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { createLogger } from '../../../src/plimsoll/observability/logger.js';
import { cfsPeriodUs } from './pod-cgroup.js';
import { DEFAULT_POD_NETNS, namespaceExists } from './pod-network.js';
import { ReplicaRunner } from './runner.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const LOCAL = join(ROOT, '.local');

const usage = `Usage: node --import tsx tools/stack/replica-runner/main.ts [options]

Mirrors a Deployment's pods into real processes (node dist/src/matcher/cli/bin.js <container args>)
bound to the pod IPs, and balances HTTP requests over the ready ones.

Options:
  --namespace NS        the Deployment's namespace (default default)
  --deployment NAME     the Deployment (default matcher)
  --container NAME      the container to run (default: the first)
  --kubeconfig FILE     admin credentials: the runner plays the kubelet (default .local/kubeconfig)
  --listen HOST:PORT    the load balancer (default 127.0.0.1:18080; "none": no balancer)
  --admin HOST:PORT     GET /status (JSON) and /healthz (default 127.0.0.1:18090; "none")
  --state-dir DIR       process records and token kubeconfigs (default .local/stack)
  --log-dir DIR         matcher-<pod>.log files (default .local/logs)
  --targets-dir DIR     Prometheus file_sd files (default .local/prometheus/targets; "none")
  --pod-netns NAME      the pod network namespace the replicas run in (default ${DEFAULT_POD_NETNS};
                        tools/stack/pod-network.sh up creates it)
  --cpu-cfs-quota-period DURATION
                        the CFS period CPU limits are a share of, as the kubelet's cpuCFSQuotaPeriod
                        (default 100ms; 1ms to 1s, e.g. 10ms)
  -h, --help            this text
`;

function hostPort(flag: string, value: string): { host: string; port: number } {
  const m = /^(.+):(\d+)$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new Error(`--${flag} ${value}: expected HOST:PORT`);
  return { host: m[1]!, port: Number(m[2]) };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      namespace: { type: 'string', default: 'default' }, deployment: { type: 'string', default: 'matcher' }, container: { type: 'string' },
      kubeconfig: { type: 'string', default: join(LOCAL, 'kubeconfig') }, listen: { type: 'string', default: '127.0.0.1:18080' },
      admin: { type: 'string', default: '127.0.0.1:18090' }, 'state-dir': { type: 'string', default: join(LOCAL, 'stack') },
      'log-dir': { type: 'string', default: join(LOCAL, 'logs') }, 'targets-dir': { type: 'string', default: join(LOCAL, 'prometheus', 'targets') },
      'pod-netns': { type: 'string', default: DEFAULT_POD_NETNS }, 'cpu-cfs-quota-period': { type: 'string', default: '100ms' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const bin = join(ROOT, 'dist', 'src', 'matcher', 'cli', 'bin.js');
  if (!existsSync(bin)) throw new Error(`${bin} does not exist: run \`make build\` first`);
  if (!existsSync(values.kubeconfig)) throw new Error(`kubeconfig ${values.kubeconfig} does not exist: run \`make cluster\` first`);
  if (!namespaceExists(values['pod-netns'])) throw new Error(`network namespace ${values['pod-netns']} does not exist: run \`bash tools/stack/pod-network.sh up\` (make up does) first`);

  const cpuCfsPeriodUs = cfsPeriodUs(values['cpu-cfs-quota-period'], '--cpu-cfs-quota-period');
  const logger = createLogger({ name: 'replica-runner' });
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromFile(values.kubeconfig);
  const runner = new ReplicaRunner({
    kubeConfig, namespace: values.namespace, deployment: values.deployment, podNetwork: values['pod-netns'],
    ...(values.container ? { container: values.container } : {}),
    entrypoint: [process.execPath, bin], cwd: ROOT,
    // What the image would set: a PATH and HOME, nothing of this shell's environment.
    baseEnv: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', NODE_ENV: 'production' },
    stateDir: values['state-dir'], cpuCfsPeriodUs, logDir: values['log-dir'],
    ...(values['targets-dir'] !== 'none' ? { targetsDir: values['targets-dir'] } : {}),
    ...(values.listen !== 'none' ? { loadBalancer: hostPort('listen', values.listen) } : {}),
    logger,
  });
  await runner.start();

  let admin: http.Server | undefined;
  if (values.admin !== 'none') {
    const { host, port } = hostPort('admin', values.admin);
    admin = http.createServer((req, res) => {
      const body = req.url === '/status' ? JSON.stringify(runner.status(), null, 2) : req.url === '/healthz' ? '{"ok":true}' : '{"error":"GET /status or /healthz"}';
      res.writeHead(req.url === '/status' || req.url === '/healthz' ? 200 : 404, { 'content-type': 'application/json' }).end(body + '\n');
    });
    await new Promise<void>((ok, fail) => admin!.once('error', fail).listen(port, host, ok));
  }
  logger.info({ loadBalancer: runner.loadBalancerUrl ?? null, admin: values.admin, namespace: values.namespace, deployment: values.deployment }, 'replica runner started');

  const signal = await new Promise<string>((ok) => {
    process.once('SIGTERM', () => ok('SIGTERM'));
    process.once('SIGINT', () => ok('SIGINT'));
  });
  logger.info({ signal }, 'stopping every replica process');
  admin?.close();
  await runner.stop();
  logger.info('replica runner stopped');
  logger.flush();
  return 0;
}

main().then((code) => { process.exitCode = code; }, (err: Error) => {
  process.stderr.write(`replica runner: ${err.message}\n`);
  process.exitCode = 1;
});

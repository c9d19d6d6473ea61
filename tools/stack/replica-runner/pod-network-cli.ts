/**
 * DEVELOPMENT HARNESS — not part of the product. The pod network from the shell (tools/stack/
 * pod-network.sh calls it):
 *
 *   pod-network-cli.ts up --ports 15432,16432,…   the namespace, veth, routes and pod gateway (idempotent)
 *   pod-network-cli.ts down                        all of it removed (idempotent)
 *   pod-network-cli.ts status                      what exists, one line each; exit 1 when the rule is broken
 *   pod-network-cli.ts gateway --side host|pods --socket-dir DIR --ports …   one side of the gateway
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startGateway } from './pod-gateway.js';
import {
  ensurePodNetwork, namespaceExists, podAddresses, podNetworkOptions, removePodNetwork, rootNamespaceViolations,
} from './pod-network.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function parsePorts(value: string | undefined): number[] {
  const ports = (value ?? '').split(',').filter(Boolean).map(Number);
  if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65_535)) throw new Error(`--ports ${value}: expected a comma-separated list of TCP ports`);
  return ports;
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest, strict: true,
    options: { ports: { type: 'string' }, side: { type: 'string' }, 'socket-dir': { type: 'string' }, netns: { type: 'string' }, 'pod-cidr': { type: 'string' } },
  });
  const options = podNetworkOptions(ROOT, {
    gatewayPorts: parsePorts(values.ports),
    ...(values.netns ? { name: values.netns } : {}), ...(values['pod-cidr'] ? { podCidr: values['pod-cidr'] } : {}),
  });
  switch (command) {
    case 'up': {
      const created = await ensurePodNetwork(options);
      process.stdout.write(`${created ? 'created' : 'checked'} network namespace ${options.name}: ${options.podCidr} via veth ${options.hostDevice} (${options.hostAddress} ↔ ${options.podGatewayAddress})`
        + `${options.gatewayPorts.length ? `; pods reach 127.0.0.1:{${options.gatewayPorts.join(',')}} through the pod gateway` : ''}\n`);
      return 0;
    }
    case 'down':
      removePodNetwork(options);
      process.stdout.write(`removed network namespace ${options.name}, veth ${options.hostDevice} and the route to ${options.podCidr}\n`);
      return 0;
    case 'status': {
      const violations = rootNamespaceViolations();
      if (!namespaceExists(options.name)) process.stdout.write(`network namespace ${options.name}: absent\n`);
      else process.stdout.write(`network namespace ${options.name}: ${options.podCidr} via ${options.hostDevice}; pod IPs held: ${podAddresses(options).join(' ') || 'none'}\n`);
      for (const v of violations) process.stdout.write(`VIOLATION in the root namespace: ${v}\n`);
      return violations.length ? 1 : 0;
    }
    case 'gateway': {
      const side = values.side;
      if (side !== 'host' && side !== 'pods') throw new Error(`--side ${side ?? '(missing)'}: expected host or pods`);
      if (!values['socket-dir']) throw new Error('--socket-dir is required');
      const ports = parsePorts(values.ports);
      if (ports.length === 0) throw new Error('--ports is required');
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const servers = await startGateway(side, values['socket-dir'], ports, log);
      log(`pod gateway (${side} side) relays ports ${ports.join(', ')} through ${values['socket-dir']}`);
      await new Promise<void>((ok) => process.once('SIGTERM', ok).once('SIGINT', ok));
      for (const server of servers) server.close();
      return 0;
    }
    default:
      throw new Error(`usage: pod-network-cli.ts up|down|status|gateway [options] (got ${command ?? 'nothing'})`);
  }
}

main().then((code) => process.exit(code), (err: Error) => {
  process.stderr.write(`pod network: ${err.message}\n`);
  process.exit(1);
});

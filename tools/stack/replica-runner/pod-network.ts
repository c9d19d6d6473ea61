/**
 * DEVELOPMENT HARNESS — not part of the product. The pod network, in a network namespace of its
 * own, as a CNI plugin would build it:
 *
 *   root namespace                                   pod namespace (plimsoll-pods)
 *   plim-pods0 169.254.244.1/32 ◀──── veth ────▶ eth0 169.254.244.2/32
 *   10.244.0.0/16 via 169.254.244.2                  lo: one /32 per pod IP (added as the pod starts)
 *                                                    default via 169.254.244.1; 10.244.0.0/16 unreachable
 *
 * Prometheus, the operator, the load balancer and the tests reach a pod at its IP through the
 * veth; the replicas run inside the namespace (`ip netns exec`) and bind their pod's IP there.
 * No private-range address or local route is ever added to the root namespace: these machines
 * allow traffic only to loopback and into namespaces the project creates. The link-local pair
 * (169.254.0.0/16) only gives the two ends of the veth a source address.
 *
 * The replicas reach the machine's loopback services through the pod gateway (pod-gateway.ts),
 * two relay processes started here. Everything is idempotent: `ensure` repairs what a crashed run
 * left half-made, `remove` takes away all of it. Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN).
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gatewaySocket, type GatewaySide } from './pod-gateway.js';

export const DEFAULT_POD_CIDR = '10.244.0.0/16';
export const DEFAULT_POD_NETNS = 'plimsoll-pods';

export interface PodNetworkOptions {
  /** The network namespace's name (`ip netns list`). */
  name: string;
  podCidr: string;
  /** The veth's root-namespace end (at most 15 characters). */
  hostDevice: string;
  hostAddress: string;
  podGatewayAddress: string;
  /** Loopback ports of the root namespace the pods may use, relayed by the pod gateway. */
  gatewayPorts: number[];
  /** Unix sockets of the gateway (kept short: a socket path has at most 107 bytes). */
  socketDir: string;
  /** Pid files of the gateway's two processes. */
  runDir: string;
  logDir: string;
  /** The repository root: the gateway runs tools/stack/replica-runner/pod-network-cli.ts from it. */
  root: string;
}

export function podNetworkOptions(root: string, overrides: Partial<PodNetworkOptions> = {}): PodNetworkOptions {
  const local = join(root, '.local');
  return {
    name: DEFAULT_POD_NETNS, podCidr: DEFAULT_POD_CIDR, hostDevice: 'plim-pods0', hostAddress: '169.254.244.1', podGatewayAddress: '169.254.244.2',
    gatewayPorts: [], socketDir: join(local, 'run', 'pod-gateway'), runDir: join(local, 'run'), logDir: join(local, 'logs'), root,
    ...overrides,
  };
}

function ip(args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer | string }).stderr ?? '').trim();
    throw new Error(`ip ${args.join(' ')}: ${stderr || (err as Error).message}${process.getuid?.() === 0 ? '' : ' (the pod network needs root)'}`);
  }
}

export function namespaceExists(name: string): boolean {
  return existsSync(`/var/run/netns/${name}`) || existsSync(`/run/netns/${name}`);
}

function linkExists(device: string, netns?: string): boolean {
  try {
    execFileSync('ip', [...(netns ? ['-n', netns] : []), 'link', 'show', device], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The argv prefix that runs a command inside the pod namespace (`ip netns exec` execs, so the pid stays). */
export function insidePodNetwork(options: Pick<PodNetworkOptions, 'name'>, argv: string[]): string[] {
  return ['ip', 'netns', 'exec', options.name, ...argv];
}

/** The inode of a network namespace: equal for /proc/<pid>/ns/net and /run/netns/<name> when the process is inside. */
export function namespaceInode(path: string): number {
  return statSync(path).ino;
}

export function processInPodNetwork(options: Pick<PodNetworkOptions, 'name'>, pid: number): boolean {
  try {
    return namespaceInode(`/proc/${pid}/ns/net`) === namespaceInode(`/run/netns/${options.name}`);
  } catch {
    return false;
  }
}

/** Creates (or repairs) the namespace, the veth, the routes and the gateway; true when the namespace was created by this call. */
export async function ensurePodNetwork(options: PodNetworkOptions): Promise<boolean> {
  const { name, hostDevice, hostAddress, podGatewayAddress, podCidr } = options;
  const created = !namespaceExists(name);
  if (created) ip(['netns', 'add', name]);
  // A crashed run may have left the namespace without its veth, or the veth's pod end alone.
  if (!linkExists(hostDevice)) {
    if (linkExists('eth0', name)) ip(['-n', name, 'link', 'del', 'eth0']);
    ip(['link', 'add', hostDevice, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
  }
  ip(['addr', 'replace', `${hostAddress}/32`, 'dev', hostDevice]);
  ip(['link', 'set', hostDevice, 'up']);
  ip(['-n', name, 'link', 'set', 'lo', 'up']);
  ip(['-n', name, 'link', 'set', 'eth0', 'up']);
  ip(['-n', name, 'addr', 'replace', `${podGatewayAddress}/32`, 'dev', 'eth0']);
  ip(['-n', name, 'route', 'replace', hostAddress, 'dev', 'eth0']);
  ip(['-n', name, 'route', 'replace', 'default', 'via', hostAddress, 'dev', 'eth0']);
  // A pod IP nobody holds answers "no route to host" at once instead of a connect timeout (the
  // ICMP error comes from the routing decision, which needs forwarding on; nothing else is routed
  // into the namespace, so nothing else is forwarded).
  ip(['-n', name, 'route', 'replace', 'unreachable', podCidr]);
  ip(['netns', 'exec', name, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
  ip(['route', 'replace', podCidr, 'via', podGatewayAddress, 'dev', hostDevice, 'onlink', 'src', hostAddress]);
  if (options.gatewayPorts.length > 0) await ensureGateway(options);
  return created;
}

/** Stops the gateway and removes the veth (its routes go with it) and the namespace. Idempotent. */
export function removePodNetwork(options: PodNetworkOptions): void {
  for (const side of ['pods', 'host'] as const) stopGatewaySide(options, side);
  if (linkExists(options.hostDevice)) ip(['link', 'del', options.hostDevice]);
  if (namespaceExists(options.name)) ip(['netns', 'del', options.name]);
  rmSync(options.socketDir, { recursive: true, force: true });
}

/** Gives a pod its IP inside the namespace (idempotent). */
export function addPodAddress(options: Pick<PodNetworkOptions, 'name'>, address: string): void {
  ip(['-n', options.name, 'addr', 'replace', `${address}/32`, 'dev', 'lo']);
}

export function removePodAddress(options: Pick<PodNetworkOptions, 'name'>, address: string): void {
  if (!namespaceExists(options.name)) return;
  try {
    execFileSync('ip', ['-n', options.name, 'addr', 'del', `${address}/32`, 'dev', 'lo'], { stdio: 'ignore' });
  } catch {
    // Already gone.
  }
}

/** The pod IPs currently held in the namespace. */
export function podAddresses(options: Pick<PodNetworkOptions, 'name'>): string[] {
  if (!namespaceExists(options.name)) return [];
  const links = JSON.parse(ip(['-n', options.name, '-j', '-4', 'addr', 'show', 'dev', 'lo'])) as { addr_info?: { local: string }[] }[];
  return links.flatMap((l) => l.addr_info ?? []).map((a) => a.local).filter((a) => !a.startsWith('127.'));
}

// ——— the pod gateway's two processes ———

const gatewayPidFile = (options: PodNetworkOptions, side: GatewaySide) => join(options.runDir, `pod-gateway-${side}.pid`);
const gatewayMarker = (side: GatewaySide) => `pod-network-cli.ts gateway --side ${side}`;

function gatewayPid(options: PodNetworkOptions, side: GatewaySide): number | undefined {
  try {
    const [pid, ports] = readFileSync(gatewayPidFile(options, side), 'utf8').trim().split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    // Running, ours, and relaying the ports asked for now (a changed list restarts it).
    return cmdline.includes(gatewayMarker(side)) && ports === options.gatewayPorts.join(',') ? Number(pid) : undefined;
  } catch {
    return undefined;
  }
}

function stopGatewaySide(options: PodNetworkOptions, side: GatewaySide): void {
  let pid: number | undefined;
  try {
    pid = Number(readFileSync(gatewayPidFile(options, side), 'utf8').split(' ')[0]);
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(gatewayMarker(side))) process.kill(pid, 'SIGTERM');
  } catch {
    // Not running.
  }
  rmSync(gatewayPidFile(options, side), { force: true });
}

async function ensureGateway(options: PodNetworkOptions): Promise<void> {
  mkdirSync(options.runDir, { recursive: true });
  mkdirSync(options.logDir, { recursive: true });
  for (const side of ['host', 'pods'] as const) {
    if (gatewayPid(options, side) !== undefined) continue;
    stopGatewaySide(options, side);
    // A killed host side leaves its socket files: gone first, so "the sockets exist" below means
    // the new process listens on them.
    if (side === 'host') for (const port of options.gatewayPorts) rmSync(gatewaySocket(options.socketDir, port), { force: true });
    const argv = [process.execPath, '--import', 'tsx', join(options.root, 'tools/stack/replica-runner/pod-network-cli.ts'),
      'gateway', '--side', side, '--socket-dir', options.socketDir, '--ports', options.gatewayPorts.join(',')];
    const command = side === 'pods' ? insidePodNetwork(options, argv) : argv;
    const logFile = join(options.logDir, `pod-gateway-${side}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(command[0]!, command.slice(1), { cwd: options.root, detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.unref();
    writeFileSync(gatewayPidFile(options, side), `${child.pid} ${options.gatewayPorts.join(',')}\n`);
    // The pods side dials the host side's sockets: wait until they exist.
    const ready = side === 'host' ? () => options.gatewayPorts.every((p) => existsSync(gatewaySocket(options.socketDir, p))) : () => podsSideListening(options);
    for (let i = 0; i < 100 && !ready(); i++) {
      if (child.exitCode !== null) break;
      await sleep(100);
    }
    if (!ready()) throw new Error(`the pod gateway's ${side} side did not start; see ${logFile}`);
  }
}

function podsSideListening(options: PodNetworkOptions): boolean {
  try {
    const out = execFileSync('ip', insidePodNetwork(options, ['ss', '-Htln']).slice(1), { encoding: 'utf8' });
    return options.gatewayPorts.every((p) => out.includes(`127.0.0.1:${p} `));
  } catch {
    return false;
  }
}

// ——— the rule this all exists for ———

const PRIVATE_RANGES: [number, number][] = [[0x0a000000, 8], [0xac100000, 12], [0xc0a80000, 16]];

export function isPrivateAddress(address: string): boolean {
  const octets = address.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return false;
  const value = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  return PRIVATE_RANGES.some(([base, bits]) => (value >>> (32 - bits)) === (base >>> (32 - bits)));
}

/** What in the root namespace breaks the network rule: private-range addresses, and local routes into a private range. */
export function rootNamespaceViolations(): string[] {
  const out: string[] = [];
  const links = JSON.parse(execFileSync('ip', ['-j', '-4', 'addr', 'show'], { encoding: 'utf8' })) as { ifname: string; addr_info?: { local: string; prefixlen: number }[] }[];
  for (const link of links) {
    for (const a of link.addr_info ?? []) if (isPrivateAddress(a.local)) out.push(`address ${a.local}/${a.prefixlen} on ${link.ifname}`);
  }
  const routes = JSON.parse(execFileSync('ip', ['-j', '-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' })) as { type?: string; dst: string; dev?: string }[];
  for (const r of routes) {
    if ((r.type === 'local' || r.type === 'anycast') && isPrivateAddress(r.dst.split('/')[0]!)) out.push(`${r.type} route ${r.dst} on ${r.dev ?? '?'}`);
  }
  return out;
}

/**
 * DEVELOPMENT HARNESS — not part of the product. Makes the fake pods' IPs real on this machine:
 * `ip route add local <podCIDR> dev lo` (Linux AnyIP) lets any process bind any address of the
 * range, so a replica listens on exactly the IP kwok gave its pod — where EndpointSlices, the
 * operator's health signal and Prometheus look. Needs root (CAP_NET_ADMIN) to add or remove.
 */
import { execFileSync } from 'node:child_process';

export const DEFAULT_POD_CIDR = '10.244.0.0/16';

export function hasLocalRoute(cidr = DEFAULT_POD_CIDR): boolean {
  const out = execFileSync('ip', ['-4', 'route', 'show', 'table', 'local', cidr], { encoding: 'utf8' });
  return out.trim().length > 0;
}

/** Adds the route when missing; true when this call added it. */
export function ensureLocalRoute(cidr = DEFAULT_POD_CIDR): boolean {
  if (hasLocalRoute(cidr)) return false;
  try {
    execFileSync('ip', ['route', 'add', 'local', cidr, 'dev', 'lo'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim();
    throw new Error(`cannot make the pod network ${cidr} local (ip route add local ${cidr} dev lo: ${stderr || (err as Error).message}); run as root`);
  }
  return true;
}

export function removeLocalRoute(cidr = DEFAULT_POD_CIDR): void {
  if (hasLocalRoute(cidr)) execFileSync('ip', ['route', 'del', 'local', cidr, 'dev', 'lo']);
}

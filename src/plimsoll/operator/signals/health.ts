/**
 * The matcher's health document (/health/details) over the target's ready endpoints, or one
 * URL: a dotted numeric (or boolean) field, combined over replicas with Max/Min/Average/Sum.
 */
import { PlimsollError } from '../../errors.js';
import type { Signal } from '../../api/scaling-policy.js';
import { readAppliedRuntime, type AppliedRuntime } from '../../contract/health.js';
import type { SignalContext, SignalSource } from './source.js';

type HealthConfig = NonNullable<Signal['health']>;

export function fieldValue(document: unknown, path: string): number | undefined {
  let node: unknown = document;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  if (typeof node === 'boolean') return node ? 1 : 0;
  if (typeof node === 'number' && Number.isFinite(node)) return node;
  return undefined;
}

export function aggregate(values: number[], how: HealthConfig['aggregate']): number {
  switch (how) {
    case 'Max': return Math.max(...values);
    case 'Min': return Math.min(...values);
    case 'Sum': return values.reduce((a, b) => a + b, 0);
    case 'Average': return values.reduce((a, b) => a + b, 0) / values.length;
  }
}

async function fetchJson(url: string, timeoutSeconds: number): Promise<unknown> {
  // The matcher answers /health/details with 503 while degraded; the body is still the document.
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutSeconds * 1000), headers: { accept: 'application/json' } });
  return response.json();
}

/** The URLs a health signal reads: its url, or every ready endpoint of the target. */
export async function healthUrls(config: Pick<HealthConfig, 'url' | 'port' | 'path'>, context: SignalContext): Promise<string[]> {
  if (config.url) return [config.url];
  const addresses = await context.readyEndpoints();
  return addresses.map((ip) => `http://${ip.includes(':') ? `[${ip}]` : ip}:${config.port}${config.path}`);
}

/** Read one field from every URL; failures of single replicas are skipped if any answered. */
export async function readField(urls: string[], field: string, timeoutSeconds: number): Promise<number[]> {
  const results = await Promise.allSettled(urls.map((u) => fetchJson(u, timeoutSeconds)));
  const values: number[] = [];
  const errors: string[] = [];
  results.forEach((r, i) => {
    if (r.status === 'rejected') return void errors.push(`${urls[i]}: ${(r.reason as Error).message}`);
    const v = fieldValue(r.value, field);
    if (v === undefined) errors.push(`${urls[i]}: no numeric field ${field}`);
    else values.push(v);
  });
  if (values.length === 0) throw new PlimsollError('SIGNAL_FETCH_FAILED', `health: ${errors.join('; ') || 'no ready endpoints'}`);
  return values;
}

export const healthSource: SignalSource<HealthConfig> = {
  type: 'health',
  async read(config, context) {
    const urls = await healthUrls(config, context);
    const values = await readField(urls, config.field, config.timeoutSeconds);
    return aggregate(values, config.aggregate);
  },
};

/**
 * What one replica reports it applied, read with the contract: its generation (null: nothing
 * yet) and pool, 'absent' (no acknowledgement field: a replica without a runtime client) or
 * 'unreachable'.
 */
export async function appliedRuntime(url: string, timeoutSeconds: number): Promise<AppliedRuntime | 'absent' | 'unreachable'> {
  try {
    return readAppliedRuntime(await fetchJson(url, timeoutSeconds));
  } catch {
    return 'unreachable';
  }
}

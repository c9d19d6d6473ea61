/**
 * The matcher's health document (/health/details) over the target's ready endpoints, or one
 * URL: a dotted numeric (or boolean) field, combined over replicas with Max/Min/Average/Sum.
 * Reads go through the shared, bounded HTTP client; identical documents within a polling
 * window (two health signals of one policy) are fetched once.
 */
import { PlimsollError } from '../../errors.js';
import type { Signal } from '../../api/scaling-policy.js';
import { readAppliedRuntime, type AppliedRuntime } from '../../contract/health.js';
import { Coalescer } from './coalescer.js';
import { SignalHttp } from './http-client.js';
import type { PollWindow, SignalContext, SignalSource } from './source.js';

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

/** The URLs a health signal reads: its url, or every ready endpoint of the target. */
export async function healthUrls(config: Pick<HealthConfig, 'url' | 'port' | 'path'>, context: SignalContext): Promise<string[]> {
  if (config.url) return [config.url];
  const addresses = await context.readyEndpoints();
  return addresses.map((ip) => `http://${ip.includes(':') ? `[${ip}]` : ip}:${config.port}${config.path}`);
}

/** The health document of one replica. The matcher answers 503 while degraded: the body is still the document. */
async function healthDocument(http: SignalHttp, url: string, timeoutSeconds: number): Promise<unknown> {
  const answer = await http.getJson(new URL(url), timeoutSeconds * 1000, `health ${url}`);
  if (answer.body === undefined) throw new PlimsollError('SIGNAL_FETCH_FAILED', `health ${url}: HTTP ${answer.status}, not JSON`);
  return answer.body;
}

export function createHealthSource(http: SignalHttp, shared = new Coalescer<unknown>()): SignalSource<HealthConfig> {
  /** Read one field from every URL; failures of single replicas are skipped if any answered. */
  async function readField(urls: string[], config: HealthConfig, window: PollWindow | undefined): Promise<number[]> {
    const results = await Promise.allSettled(urls.map((u) => shared.share(`${u} ${config.timeoutSeconds}`, window, () => healthDocument(http, u, config.timeoutSeconds))));
    const values: number[] = [];
    const errors: string[] = [];
    results.forEach((r, i) => {
      if (r.status === 'rejected') return void errors.push((r.reason as Error).message);
      const v = fieldValue(r.value, config.field);
      if (v === undefined) errors.push(`health ${urls[i]}: no numeric field ${config.field}`);
      else values.push(v);
    });
    if (values.length > 0) return values;
    // One code for the whole read: a timeout only when every replica timed out.
    const timedOut = results.length > 0 && results.every((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'SIGNAL_TIMEOUT');
    throw new PlimsollError(timedOut ? 'SIGNAL_TIMEOUT' : 'SIGNAL_FETCH_FAILED', errors.join('; '));
  }
  return {
    type: 'health',
    async read(config, context, window) {
      const urls = await healthUrls(config, context);
      if (urls.length === 0) throw new PlimsollError('SIGNAL_NO_ENDPOINTS', 'health: the target has no ready endpoint to read');
      return aggregate(await readField(urls, config, window), config.aggregate);
    },
  };
}

/** For callers without the operator's client (its default bound); the operator passes its own. */
const unconfigured = new SignalHttp();

/**
 * What one replica reports it applied, read with the contract: its generation (null: nothing
 * yet) and pool, 'absent' (no acknowledgement field: a replica without a runtime client) or
 * 'unreachable'. Never shared: an acknowledgement must be read after the publication it checks.
 */
export async function appliedRuntime(url: string, timeoutSeconds: number, http: SignalHttp = unconfigured): Promise<AppliedRuntime | 'absent' | 'unreachable'> {
  try {
    return readAppliedRuntime(await healthDocument(http, url, timeoutSeconds));
  } catch {
    return 'unreachable';
  }
}

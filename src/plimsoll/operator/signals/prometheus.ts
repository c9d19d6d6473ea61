/** A Prometheus instant query (GET /api/v1/query): the first sample of the result is the value. */
import { PlimsollError } from '../../errors.js';
import type { Signal } from '../../api/scaling-policy.js';
import type { SignalSource } from './source.js';

type PrometheusConfig = NonNullable<Signal['prometheus']>;

interface QueryResponse {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: unknown };
}

export function parseInstantResult(body: QueryResponse, emptyResult: 'Missing' | 'Zero'): number {
  if (body.status !== 'success' || !body.data) throw new PlimsollError('SIGNAL_FETCH_FAILED', `prometheus: ${body.error ?? 'query failed'}`);
  const { resultType, result } = body.data;
  let raw: string | undefined;
  if (resultType === 'scalar' || resultType === 'string') raw = (result as [number, string])[1];
  else if (resultType === 'vector') raw = (result as Array<{ value: [number, string] }>)[0]?.value[1];
  else throw new PlimsollError('SIGNAL_FETCH_FAILED', `prometheus: unsupported result type ${resultType}`);
  if (raw === undefined) {
    if (emptyResult === 'Zero') return 0;
    throw new PlimsollError('SIGNAL_EMPTY', 'prometheus: the query returned no series');
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new PlimsollError('SIGNAL_FETCH_FAILED', `prometheus: value ${raw} is not a finite number`);
  return value;
}

export const prometheusSource: SignalSource<PrometheusConfig> = {
  type: 'prometheus',
  async read(config) {
    const url = new URL('/api/v1/query', config.serverAddress);
    url.searchParams.set('query', config.query);
    url.searchParams.set('timeout', `${config.timeoutSeconds}s`);
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(config.timeoutSeconds * 1000) });
    } catch (err) {
      throw new PlimsollError('SIGNAL_FETCH_FAILED', `prometheus ${config.serverAddress}: ${(err as Error).message}`, { cause: err });
    }
    const body = (await response.json().catch(() => ({ status: 'error', error: `HTTP ${response.status}` }))) as QueryResponse;
    return parseInstantResult(body, config.emptyResult);
  },
};

/**
 * A Prometheus instant query (GET /api/v1/query): the result must be exactly one sample — a
 * scalar or a one-series vector. More series are an error that names them, never a silent
 * choice of the first. Identical queries to one server within a polling window are asked once.
 */
import { PlimsollError } from '../../errors.js';
import type { Signal } from '../../api/scaling-policy.js';
import type { SignalSources } from '../../config/signal-sources.js';
import { resolvePrometheus } from '../sources/resolve.js';
import { Coalescer } from './coalescer.js';
import { shownValue, shownWord } from './fetched.js';
import type { HttpAnswer, SignalHttp } from './http-client.js';
import type { SignalSource } from './source.js';

type PrometheusConfig = NonNullable<Signal['prometheus']>;

interface QueryResponse {
  status: 'success' | 'error';
  /** Prometheus's own words: errorType is a short enum (bad_data, timeout, …), error free text. */
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown };
}

interface Series {
  metric?: Record<string, string>;
  value: [number, string];
}

/** How a series is named in a message: {job="api", instance="a:9"}. */
function seriesName(series: Series): string {
  const labels = Object.entries(series.metric ?? {}).map(([k, v]) => `${k}="${v}"`);
  return `{${labels.join(', ')}}`;
}

/** The sample of an answer; errors name the HTTP status and Prometheus's errorType, never its error text. */
export function parseInstantResult(body: QueryResponse, emptyResult: 'Missing' | 'Zero', httpStatus?: number): number {
  if (body.status !== 'success' || !body.data) {
    const errorType = shownWord(body.errorType);
    const detail = [httpStatus === undefined ? undefined : `HTTP ${httpStatus}`, errorType && `errorType ${errorType}`].filter(Boolean).join(', ');
    throw new PlimsollError('SIGNAL_FETCH_FAILED', `prometheus: the query failed${detail ? ` (${detail})` : ''}`);
  }
  const { resultType, result } = body.data;
  let raw: string | undefined;
  if (resultType === 'scalar' || resultType === 'string') raw = (result as [number, string])[1];
  else if (resultType === 'vector') {
    const series = result as Series[];
    if (series.length > 1) {
      const shown = series.slice(0, 3).map(seriesName).join(', ');
      throw new PlimsollError('SIGNAL_AMBIGUOUS',
        `prometheus: the query returned ${series.length} series, a signal needs exactly one (aggregate it, e.g. sum(...) or max(...)): ${shown}${series.length > 3 ? ', ...' : ''}`);
    }
    raw = series[0]?.value[1];
  } else throw new PlimsollError('SIGNAL_FETCH_FAILED', `prometheus: unsupported result type ${shownWord(resultType) ?? shownValue(resultType)}`);
  if (raw === undefined) {
    if (emptyResult === 'Zero') return 0;
    throw new PlimsollError('SIGNAL_EMPTY', 'prometheus: the query returned no series');
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new PlimsollError('SIGNAL_FETCH_FAILED', `prometheus: value ${shownValue(raw)} is not a finite number`);
  return value;
}

function queryBody(answer: HttpAnswer): QueryResponse {
  const body = answer.body as QueryResponse | undefined;
  if (body && typeof body === 'object' && typeof body.status === 'string') return body;
  throw new PlimsollError('SIGNAL_FETCH_FAILED', `prometheus: HTTP ${answer.status}, not a Prometheus API answer`);
}

export function createPrometheusSource(http: SignalHttp, sources: SignalSources, shared = new Coalescer<HttpAnswer>()): SignalSource<PrometheusConfig> {
  return {
    type: 'prometheus',
    async read(config, _context, window) {
      // Only a server the administrator registered is ever asked (the reconciler refuses the
      // policy before this; here too, so no path reads an address a policy made up).
      const server = resolvePrometheus(config, sources);
      if (!server.ok) throw new PlimsollError('SIGNAL_SOURCE_NOT_REGISTERED', `prometheus.${server.field}: ${server.rule}`);
      const address = server.value.address;
      const url = new URL('/api/v1/query', address);
      url.searchParams.set('query', config.query);
      url.searchParams.set('timeout', `${config.timeoutSeconds}s`);
      // The URL names server, query and timeout: the identity of the question.
      const answer = await shared.share(url.href, window,
        () => http.getJson(url, config.timeoutSeconds * 1000, `prometheus ${address}`));
      return parseInstantResult(queryBody(answer), config.emptyResult, answer.status);
    },
  };
}

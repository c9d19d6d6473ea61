/**
 * The signals a policy gets by declaring that its target speaks the matcher's contract
 * (`spec.standardSignals.contract: matcher.plimsoll.dev/v1`). The matcher's metric names and
 * health fields are part of that contract (src/plimsoll/contract/), so the queries every matcher
 * policy would spell out are written once, here, and a policy states only what is particular to
 * it. Pure: the spec schema calls `expandImpliedSignals` as it parses, so the operator, the
 * simulator and `plimsoll validate` all see the same explicit signals.
 *
 * Only types are imported from scaling-policy.ts (which imports this file): the caller passes the
 * schema's own signal parser, so an implied signal gets exactly the defaults a written one gets.
 */
import { matcherMetrics } from '../contract/metrics.js';
import type { ScalingPolicySpec, Signal } from './scaling-policy.js';

/** The contract a target declares it speaks. One version so far. */
export const MATCHER_CONTRACT = 'matcher.plimsoll.dev/v1';

/** The signals implied whatever the policy says, in the order they are expanded. */
export const CONTRACT_SIGNAL_NAMES = ['request-rate', 'cpu-utilization', 'in-flight', 'queue-waiting', 'healthy-providers', 'heap-used-bytes', 'database-healthy'] as const;
/** Implied when `standardSignals.pgbouncer.database` names the pool the target connects through. */
export const PGBOUNCER_SIGNAL_NAMES = ['pgbouncer-waiting', 'pgbouncer-max-wait'] as const;
/** Implied per provider of `spec.queues.providers`: `<provider>-latency`, `<provider>-throttled` and `<provider>-errors`. */
export const PROVIDER_SIGNAL_SUFFIXES = { latency: '-latency', throttled: '-throttled', errors: '-errors' } as const;
/** A signal name is a DNS-1123 label (63 characters); the longest suffix must still fit. */
export const MAX_IMPLYING_PROVIDER_NAME = 63 - PROVIDER_SIGNAL_SUFFIXES.throttled.length;

/** A signal as written in a policy (defaults not applied). */
export type SignalInput = { name: string; prometheus?: Record<string, unknown>; pgbouncer?: Record<string, unknown>; health?: Record<string, unknown> };
export type ParseSignal = (input: SignalInput) => Signal;

/** One implied signal and a sentence on what it reads, for `plimsoll validate --explain` and the docs. */
export interface ImpliedSignal {
  signal: SignalInput;
  reads: string;
}

type ImplyingSpec = Pick<ScalingPolicySpec, 'standardSignals' | 'queues' | 'targetRef'>;

const m = matcherMetrics;

/** The implied signals of a spec, in expansion order, as a policy would write them. Empty without a contract. */
export function impliedSignalInputs(spec: ImplyingSpec): ImpliedSignal[] {
  const standard = spec.standardSignals;
  if (!standard) return [];
  // Every series an implied query reads, with the policy's selector added to its own matchers.
  const scope = standard.prometheus?.selector;
  const series = (metric: string, matchers = '') => {
    const all = [matchers, scope].filter(Boolean).join(',');
    return all ? `${metric}{${all}}` : metric;
  };
  const out: ImpliedSignal[] = [
    {
      reads: 'HTTP requests per second, less those refused for a tenant\'s own rate limit or for Maintenance (they ask for no capacity)',
      signal: {
        name: 'request-rate',
        prometheus: {
          query: `sum(rate(${series(m.httpRequests)}[1m])) - (sum(rate(${series(m.admissionRejections, 'reason=~"tenant_rate|maintenance"')}[1m])) or vector(0))`,
          emptyResult: 'Zero',
        },
      },
    },
    {
      // The scrape job is named after the target: the local stack's job and the chart's
      // ServiceMonitor (whose Service is named after the Deployment) both are.
      reads: 'CPU cores each replica burns, averaged over the replicas (the scrape job named after the target)',
      signal: { name: 'cpu-utilization', prometheus: { query: `avg(rate(${series('process_cpu_seconds_total', `job="${spec.targetRef.name}"`)}[1m]))` } },
    },
    {
      // Requests pile up the second arrivals outrun the replicas (Little's law), while a
      // one-minute rate still averages the calm before: the signal that leads. Read from the
      // replicas' health documents, so no scrape lag either.
      reads: 'HTTP requests in flight, summed over the ready replicas (their /health/details)',
      signal: { name: 'in-flight', health: { field: 'http.inFlight', aggregate: 'Sum' } },
    },
    {
      // Every replica reports the shared (Redis) queue's count: max per provider, then the sum.
      reads: 'analyses waiting in the providers\' queues (shared by the replicas: max per provider, then the sum)',
      signal: { name: 'queue-waiting', prometheus: { query: `sum(max by (provider) (${series(m.queueJobs, 'state="waiting"')}))`, emptyResult: 'Zero' } },
    },
    {
      // `== bool 0` keeps a 0 for an open breaker, so "none healthy" reads 0; no series at all
      // (no replica scraped yet) reads as missing and holds the level.
      reads: 'providers whose circuit breaker is closed',
      signal: { name: 'healthy-providers', prometheus: { query: `sum(max by (provider) (${series(m.circuitBreakerState)}) == bool 0)` } },
    },
    {
      reads: 'the largest heap of the ready replicas, in bytes (their /health/details)',
      signal: { name: 'heap-used-bytes', health: { field: 'memory.heapUsedBytes', aggregate: 'Max' } },
    },
    {
      reads: '1 while every ready replica reaches the database, else 0 (their /health/details)',
      signal: { name: 'database-healthy', health: { field: 'database.healthy', aggregate: 'Min' } },
    },
  ];
  const database = standard.pgbouncer?.database;
  if (database !== undefined) {
    out.push(
      { reads: `clients waiting for a server connection in PgBouncer's pool ${database}`, signal: { name: 'pgbouncer-waiting', pgbouncer: { database, metric: 'ClientsWaiting' } } },
      { reads: `seconds the oldest client of PgBouncer's pool ${database} has waited`, signal: { name: 'pgbouncer-max-wait', pgbouncer: { database, metric: 'MaxWaitSeconds' } } },
    );
  }
  for (const { name: provider } of spec.queues?.providers ?? []) {
    // A name too long for a signal is refused by the CRD's rule; nothing is implied for it.
    if (provider.length > MAX_IMPLYING_PROVIDER_NAME) continue;
    out.push(
      {
        reads: `median latency of ${provider}'s successful calls, in seconds`,
        signal: {
          name: `${provider}${PROVIDER_SIGNAL_SUFFIXES.latency}`,
          prometheus: { query: `histogram_quantile(0.5, sum by (le) (rate(${series(`${m.providerRequestDuration}_bucket`, `provider="${provider}",outcome="ok"`)}[1m])))` },
        },
      },
      {
        reads: `${provider}'s rate-limited (429) responses per second`,
        signal: {
          name: `${provider}${PROVIDER_SIGNAL_SUFFIXES.throttled}`,
          prometheus: { query: `sum(rate(${series(m.providerErrors, `provider="${provider}",kind="rate_limited"`)}[1m]))`, emptyResult: 'Zero' },
        },
      },
      {
        // 429s are left out: they are the throttled signal's, and AIMD answers them on their own.
        reads: `share of ${provider}'s calls that failed (timeouts, server and network errors, invalid replies; not 429s), 0–1`,
        signal: {
          name: `${provider}${PROVIDER_SIGNAL_SUFFIXES.errors}`,
          prometheus: {
            // No call in the window: the `> 0` empties the result (read as 0) instead of 0/0 = NaN.
            query: `sum(rate(${series(`${m.providerRequestDuration}_count`, `provider="${provider}",outcome!~"ok|rate_limited"`)}[1m])) / (sum(rate(${series(`${m.providerRequestDuration}_count`, `provider="${provider}"`)}[1m])) > 0)`,
            emptyResult: 'Zero',
          },
        },
      },
    );
  }
  return out;
}

/**
 * The spec with its implied signals made explicit: the implied signals in their order, each
 * replaced by the policy's own signal of the same name (an explicit signal overrides an implied
 * one), then the policy's other signals in the order written. A provider that names no latency
 * or throttled signal gets its implied ones. Idempotent; a spec without a contract is returned as is.
 */
export function expandImpliedSignals(spec: ScalingPolicySpec, parseSignal: ParseSignal): ScalingPolicySpec {
  if (!spec.standardSignals) return spec;
  const written = new Map(spec.signals.map((s) => [s.name, s]));
  const implied = impliedSignalInputs(spec).map(({ signal }) => written.get(signal.name) ?? parseSignal(signal));
  const impliedNames = new Set(implied.map((s) => s.name));
  const signals = [...implied, ...spec.signals.filter((s) => !impliedNames.has(s.name))];
  const expanded: ScalingPolicySpec = { ...spec, signals };
  if (spec.queues) {
    expanded.queues = {
      ...spec.queues,
      providers: spec.queues.providers.map((p) =>
        p.name.length > MAX_IMPLYING_PROVIDER_NAME
          ? p
          : {
              ...p,
              latencySignal: p.latencySignal ?? `${p.name}${PROVIDER_SIGNAL_SUFFIXES.latency}`,
              throttledSignal: p.throttledSignal ?? `${p.name}${PROVIDER_SIGNAL_SUFFIXES.throttled}`,
              errorRatioSignal: p.errorRatioSignal ?? `${p.name}${PROVIDER_SIGNAL_SUFFIXES.errors}`,
            },
      ),
    };
  }
  return expanded;
}

/**
 * CEL: the list of signal names a spec's contract implies, for the CRD's rules (the API server
 * checks references against declared and implied names, as this file expands them).
 */
export function impliedNamesCel(): string {
  const quoted = (names: readonly string[]) => `[${names.map((n) => `'${n}'`).join(', ')}]`;
  const { latency, throttled, errors } = PROVIDER_SIGNAL_SUFFIXES;
  return (
    `(has(self.standardSignals) ? ${quoted(CONTRACT_SIGNAL_NAMES)}` +
    ` + (has(self.standardSignals.pgbouncer) ? ${quoted(PGBOUNCER_SIGNAL_NAMES)} : [])` +
    ` + (has(self.queues) ? self.queues.providers.map(p, p.name + '${latency}') + self.queues.providers.map(p, p.name + '${throttled}') + self.queues.providers.map(p, p.name + '${errors}') : [])` +
    ' : [])'
  );
}

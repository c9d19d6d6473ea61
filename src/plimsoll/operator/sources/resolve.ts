/**
 * Which registered source a signal reads, decided from the policy and the administrator's
 * registry alone (pure). A policy names a source by name or takes the default; the deprecated
 * address fields are honoured only when they name what the administrator registered. Anything
 * else is a problem naming the field and the rule, and nothing is fetched for the policy.
 */
import type { ScalingPolicySpec, Signal } from '../../api/scaling-policy.js';
import type { FieldProblem } from '../../errors.js';
import type { PgBouncerEndpoint, PrometheusServer, SignalSources } from '../../config/signal-sources.js';

type PrometheusConfig = NonNullable<Signal['prometheus']>;
type PgBouncerConfig = NonNullable<Signal['pgbouncer']>;
type HealthConfig = NonNullable<Signal['health']>;

export type Resolved<T> = { ok: true; value: T } | { ok: false; field: string; rule: string };

const names = (list: Array<{ name: string }>) => (list.length ? list.map((s) => s.name).join(', ') : '(none)');
/** Addresses compare without a trailing slash: http://p:9090/ is http://p:9090. */
const sameAddress = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

export function resolvePrometheus(config: PrometheusConfig, sources: SignalSources): Resolved<PrometheusServer> {
  const servers = sources.prometheus;
  if (config.server !== undefined) {
    const named = servers.find((s) => s.name === config.server);
    return named ? { ok: true, value: named } : { ok: false, field: 'server', rule: `not a registered Prometheus server; registered: ${names(servers)}` };
  }
  if (config.serverAddress !== undefined) {
    const same = servers.find((s) => sameAddress(s.address, config.serverAddress!));
    return same ? { ok: true, value: same } : { ok: false, field: 'serverAddress', rule: `not a registered Prometheus server; registered: ${names(servers)} (name one with server)` };
  }
  const fallback = servers.find((s) => s.default);
  return fallback ? { ok: true, value: fallback } : { ok: false, field: 'server', rule: `unset, and no default Prometheus server is registered; registered: ${names(servers)}` };
}

/** A registered endpoint, or the policy's own Secret (deprecated; read only with its consent). */
export type PgBouncerTarget = { endpoint: PgBouncerEndpoint } | { secretRef: NonNullable<PgBouncerConfig['secretRef']> };

export function resolvePgBouncer(config: PgBouncerConfig, sources: SignalSources): Resolved<PgBouncerTarget> {
  const endpoints = sources.pgbouncer;
  if (config.source !== undefined) {
    const named = endpoints.find((s) => s.name === config.source);
    return named ? { ok: true, value: { endpoint: named } } : { ok: false, field: 'source', rule: `not a registered PgBouncer endpoint; registered: ${names(endpoints)}` };
  }
  if (config.secretRef) return { ok: true, value: { secretRef: config.secretRef } };
  const fallback = endpoints.find((s) => s.default);
  return fallback ? { ok: true, value: { endpoint: fallback } } : { ok: false, field: 'source', rule: `unset, and no default PgBouncer endpoint is registered; registered: ${names(endpoints)}` };
}

/** A health url only when the administrator registered it; otherwise the target's own pods. */
export function resolveHealth(config: HealthConfig, sources: SignalSources): Resolved<HealthConfig> {
  if (config.url === undefined || sources.health.some((h) => h.url === config.url)) return { ok: true, value: config };
  return { ok: false, field: 'url', rule: 'not a registered health URL: health signals read the target\'s own pods (its EndpointSlices); remove url' };
}

/** Every signal of the spec whose source is not registered, as `spec.signals[i].<source>.<field>: <rule>`. */
export function unregisteredSources(spec: Pick<ScalingPolicySpec, 'signals'>, sources: SignalSources): FieldProblem[] {
  const problems: FieldProblem[] = [];
  spec.signals.forEach((signal, i) => {
    const checks: Array<[string, Resolved<unknown> | undefined]> = [
      ['prometheus', signal.prometheus && resolvePrometheus(signal.prometheus, sources)],
      ['pgbouncer', signal.pgbouncer && resolvePgBouncer(signal.pgbouncer, sources)],
      ['health', signal.health && resolveHealth(signal.health, sources)],
    ];
    for (const [type, result] of checks) {
      if (result && !result.ok) problems.push({ path: `spec.signals[${i}].${type}.${result.field}`, message: result.rule });
    }
  });
  return problems;
}

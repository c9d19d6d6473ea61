import CircuitBreaker from 'opossum';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MatcherConfig } from '../config.js';
import type { Logger } from '../../plimsoll/observability/logger.js';
import { ProviderError, type AnalysisProvider, type ProviderAnswer, type ProviderRequest } from './provider.js';
import { matcherMetrics } from '../../plimsoll/contract/metrics.js';

export type BreakerState = 'closed' | 'halfOpen' | 'open';
const STATE_VALUE: Record<BreakerState, number> = { closed: 0, halfOpen: 1, open: 2 };

interface Entry {
  provider: AnalysisProvider;
  accuracy: number;
  breaker: CircuitBreaker<[ProviderRequest], ProviderAnswer>;
  /** Exponentially weighted latency of successful calls (ms); the "fastest" choice uses it. */
  ewmaMs: number | undefined;
}

/** Thrown when a provider's breaker is open: the caller falls back without calling it. */
export class BreakerOpenError extends Error {
  constructor(readonly provider: string) {
    super(`${provider}: circuit breaker open`);
    this.name = 'BreakerOpenError';
  }
}

/**
 * One opossum circuit breaker per provider, and the provider choice they feed:
 *   Full    → the most accurate provider whose breaker is not open;
 *   Reduced → the fastest (EWMA latency) provider whose breaker is not open;
 *   neither → none (the caller uses the cache or the local matcher).
 * 429s and 4xx do not count as failures (the provider is up; the queue slows down instead).
 * Why opossum: maintained, rolling-window error percentage with a volume threshold, half-open
 * probing, events we turn into metrics; writing those correctly by hand is where breakers go wrong.
 */
export class ProviderBreakers {
  private readonly entries = new Map<string, Entry>();
  readonly duration: Histogram<'provider' | 'outcome'>;
  readonly errors: Counter<'provider' | 'kind'>;

  constructor(providers: { provider: AnalysisProvider; accuracy: number }[], options: MatcherConfig['breaker'], registry: Registry, private readonly logger: Logger) {
    this.duration = new Histogram({
      name: matcherMetrics.providerRequestDuration, help: 'AI provider call latency by outcome (ok, invalid_reply, rate_limited, timeout, server, client, network).',
      labelNames: ['provider', 'outcome'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30], registers: [registry],
    });
    this.errors = new Counter({
      name: matcherMetrics.providerErrors, help: 'AI provider errors by kind (rate_limited for 429s, timeout, server, client, network, invalid_reply, breaker_open).',
      labelNames: ['provider', 'kind'], registers: [registry],
    });
    for (const { provider, accuracy } of providers) {
      const breaker = new CircuitBreaker<[ProviderRequest], ProviderAnswer>((req) => provider.analyse(req), {
        timeout: false, // the adapter's own fetch timeout aborts the request; opossum's would leave it running
        errorThresholdPercentage: options.errorThresholdPercentage,
        resetTimeout: options.resetTimeoutMs,
        volumeThreshold: options.volumeThreshold,
        rollingCountTimeout: options.rollingWindowMs,
        rollingCountBuckets: 10,
        errorFilter: (e: unknown) => e instanceof ProviderError && (e.kind === 'rate_limited' || e.kind === 'client'),
      });
      breaker.on('open', () => this.logger.warn({ provider: provider.name, state: 'open' }, 'provider circuit breaker opened'));
      breaker.on('halfOpen', () => this.logger.info({ provider: provider.name, state: 'halfOpen' }, 'provider circuit breaker half-open'));
      breaker.on('close', () => this.logger.info({ provider: provider.name, state: 'closed' }, 'provider circuit breaker closed'));
      this.entries.set(provider.name, { provider, accuracy, breaker, ewmaMs: undefined });
    }
    const gauge: Gauge<'provider'> = new Gauge({
      name: matcherMetrics.circuitBreakerState, help: 'Provider circuit breaker: 0 closed, 1 half-open, 2 open.',
      labelNames: ['provider'], registers: [registry],
      collect: () => { for (const name of this.entries.keys()) gauge.set({ provider: name }, STATE_VALUE[this.state(name)]); },
    });
  }

  get names(): string[] {
    return [...this.entries.keys()];
  }

  state(name: string): BreakerState {
    const b = this.entries.get(name)?.breaker;
    if (!b) return 'open';
    return b.opened ? 'open' : b.halfOpen ? 'halfOpen' : 'closed';
  }

  healthy(name: string): boolean {
    return this.state(name) !== 'open';
  }

  /** The provider for a new analysis at this level, or undefined (cache / local matcher only). */
  choose(level: 'Full' | 'Reduced'): string | undefined {
    return this.ranked(level)[0];
  }

  /** The healthy providers in the level's order of preference: Full by accuracy, Reduced by speed. */
  ranked(level: 'Full' | 'Reduced'): string[] {
    const healthy = [...this.entries.values()].filter((e) => this.healthy(e.provider.name));
    if (level === 'Full') healthy.sort((a, b) => b.accuracy - a.accuracy || (a.ewmaMs ?? 0) - (b.ewmaMs ?? 0));
    else healthy.sort((a, b) => (a.ewmaMs ?? Number.MAX_VALUE) - (b.ewmaMs ?? Number.MAX_VALUE) || b.accuracy - a.accuracy);
    return healthy.map((e) => e.provider.name);
  }

  /** Calls a provider through its breaker, recording latency and errors. */
  async call(name: string, req: ProviderRequest): Promise<ProviderAnswer> {
    const entry = this.entries.get(name);
    if (!entry) throw new BreakerOpenError(name);
    const started = performance.now();
    try {
      const answer = await entry.breaker.fire(req);
      const ms = performance.now() - started;
      this.duration.observe({ provider: name, outcome: answer.usable ? 'ok' : 'invalid_reply' }, ms / 1000);
      if (!answer.usable) this.errors.inc({ provider: name, kind: 'invalid_reply' });
      entry.ewmaMs = entry.ewmaMs === undefined ? ms : entry.ewmaMs * 0.8 + ms * 0.2;
      return answer;
    } catch (error) {
      if ((error as { code?: string }).code === 'EOPENBREAKER') {
        this.errors.inc({ provider: name, kind: 'breaker_open' });
        throw new BreakerOpenError(name);
      }
      const kind = error instanceof ProviderError ? error.kind : 'network';
      this.duration.observe({ provider: name, outcome: kind }, (performance.now() - started) / 1000);
      this.errors.inc({ provider: name, kind });
      throw error;
    }
  }

  details(): Record<string, { state: BreakerState; latencyEwmaMs: number | null; accuracy: number; stats: { fires: number; failures: number; successes: number; rejects: number } }> {
    const out: ReturnType<ProviderBreakers['details']> = {};
    for (const [name, e] of this.entries) {
      const s = e.breaker.stats;
      out[name] = {
        state: this.state(name), latencyEwmaMs: e.ewmaMs === undefined ? null : Math.round(e.ewmaMs), accuracy: e.accuracy,
        stats: { fires: s.fires, failures: s.failures, successes: s.successes, rejects: s.rejects },
      };
    }
    return out;
  }

  shutdown(): void {
    for (const e of this.entries.values()) e.breaker.shutdown();
  }
}

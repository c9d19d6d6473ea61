import { Counter, type Registry } from 'prom-client';
import { PlimsollError } from '../../plimsoll/errors.js';
import type { PressureSample } from './effective-service-level.js';
import { matcherMetrics } from '../../plimsoll/contract/metrics.js';

/** The labels of matcher_admission_rejections_total; Maintenance refusals are counted by the service-level middleware. */
export type AdmissionReason = RefusalReason | 'maintenance';
type RefusalReason = 'heap' | 'event_loop_lag' | 'cpu_quota' | 'queue_depth' | 'tenant_rate';

export interface AdmissionLimits {
  heapMb: number; eventLoopLagMs: number; maxWaiting: number;
  /** Refuse at this share of the CPU quota used (0.75: three quarters); absent or 0: never. */
  cpuQuotaShare?: number;
}

/** Pure: why a request must be refused now, or undefined. Queue depth only refuses new analyses. */
export function admissionVerdict(p: PressureSample, waiting: number, isAnalysis: boolean, l: AdmissionLimits): RefusalReason | undefined {
  if (p.heapMb >= l.heapMb) return 'heap';
  if (p.lagMs >= l.eventLoopLagMs) return 'event_loop_lag';
  if (l.cpuQuotaShare && p.cpuQuotaShare !== undefined && p.cpuQuotaShare >= l.cpuQuotaShare) return 'cpu_quota';
  if (isAnalysis && waiting >= l.maxWaiting) return 'queue_depth';
  return undefined;
}

/**
 * Admission control: refuses work before it costs memory or queue space. Heap, event-loop lag and
 * the CPU quota nearly spent → 503 OVERLOADED (this replica is in trouble; another may not be), queue depth → 429
 * QUEUE_FULL (the system is behind), both with Retry-After; every refusal is counted in
 * matcher_admission_rejections_total{reason}. Health and metrics endpoints are never refused.
 */
export class Admission {
  readonly rejections: Counter<'reason'>;

  constructor(private readonly limits: AdmissionLimits, private readonly pressure: () => PressureSample, private readonly waiting: () => number, registry: Registry) {
    this.rejections = new Counter({
      name: matcherMetrics.admissionRejections, help: 'Requests refused by admission control, by reason.',
      labelNames: ['reason'], registers: [registry],
    });
  }

  check(isAnalysis: boolean): void {
    const reason = admissionVerdict(this.pressure(), this.waiting(), isAnalysis, this.limits);
    if (!reason) return;
    this.reject(reason);
  }

  reject(reason: RefusalReason, retryAfterSeconds?: number): never {
    this.rejections.inc({ reason });
    const retry = retryAfterSeconds ?? (reason === 'queue_depth' ? 5 : 1);
    switch (reason) {
      case 'queue_depth': throw withRetry(new PlimsollError('QUEUE_FULL', `too many analyses waiting (${this.waiting()} ≥ ${this.limits.maxWaiting}); retry later`), retry);
      case 'tenant_rate': throw withRetry(new PlimsollError('TENANT_RATE_LIMITED', 'this tenant is over its request rate limit'), retry);
      default: throw withRetry(new PlimsollError('OVERLOADED', `this replica is overloaded (${overloadCause[reason]}); retry later`), retry);
    }
  }

  details(): { limits: AdmissionLimits; pressure: PressureSample; waiting: number; admitting: boolean; refusing?: AdmissionReason } {
    const refusing = admissionVerdict(this.pressure(), this.waiting(), true, this.limits);
    return { limits: this.limits, pressure: this.pressure(), waiting: this.waiting(), admitting: refusing === undefined, ...(refusing ? { refusing } : {}) };
  }
}

const overloadCause = { heap: 'heap', event_loop_lag: 'event-loop lag', cpu_quota: 'CPU quota' } as const;

/** Errors that carry their Retry-After (seconds); the HTTP error handler sets the header. */
export function withRetry<E extends Error>(error: E, seconds: number): E & { retryAfterSeconds: number } {
  return Object.assign(error, { retryAfterSeconds: seconds });
}

import { Counter, type Registry } from 'prom-client';
import { PlimsollError } from '../../errors.js';
import type { PressureSample } from '../runtime/effective-service-level.js';

export type AdmissionReason = 'heap' | 'event_loop_lag' | 'queue_depth' | 'tenant_rate' | 'maintenance' | 'shutting_down';

export interface AdmissionLimits { heapMb: number; eventLoopLagMs: number; maxWaiting: number }

/** Pure: why a request must be refused now, or undefined. Queue depth only refuses new analyses. */
export function admissionVerdict(p: PressureSample, waiting: number, isAnalysis: boolean, l: AdmissionLimits): AdmissionReason | undefined {
  if (p.heapMb >= l.heapMb) return 'heap';
  if (p.lagMs >= l.eventLoopLagMs) return 'event_loop_lag';
  if (isAnalysis && waiting >= l.maxWaiting) return 'queue_depth';
  return undefined;
}

/**
 * Admission control: refuses work before it costs memory or queue space. Heap and event-loop lag
 * → 503 OVERLOADED (this replica is in trouble; another may not be), queue depth → 429
 * QUEUE_FULL (the system is behind), both with Retry-After; every refusal is counted in
 * matcher_admission_rejections_total{reason}. Health and metrics endpoints are never refused.
 */
export class Admission {
  readonly rejections: Counter<'reason'>;

  constructor(private readonly limits: AdmissionLimits, private readonly pressure: () => PressureSample, private readonly waiting: () => number, registry: Registry) {
    this.rejections = new Counter({
      name: 'matcher_admission_rejections_total', help: 'Requests refused by admission control, by reason.',
      labelNames: ['reason'], registers: [registry],
    });
  }

  check(isAnalysis: boolean): void {
    const reason = admissionVerdict(this.pressure(), this.waiting(), isAnalysis, this.limits);
    if (!reason) return;
    this.reject(reason);
  }

  reject(reason: AdmissionReason, retryAfterSeconds?: number): never {
    this.rejections.inc({ reason });
    const retry = retryAfterSeconds ?? (reason === 'queue_depth' ? 5 : 1);
    switch (reason) {
      case 'queue_depth': throw withRetry(new PlimsollError('QUEUE_FULL', `too many analyses waiting (${this.waiting()} ≥ ${this.limits.maxWaiting}); retry later`), retry);
      case 'tenant_rate': throw withRetry(new PlimsollError('TENANT_RATE_LIMITED', 'this tenant is over its request rate limit'), retry);
      case 'maintenance': throw withRetry(new PlimsollError('MAINTENANCE', 'the service is in Maintenance (read-only): writes are refused, reads are served'), retry);
      case 'shutting_down': throw withRetry(new PlimsollError('SHUTTING_DOWN', 'the process is shutting down'), retry);
      default: throw withRetry(new PlimsollError('OVERLOADED', `this replica is overloaded (${reason === 'heap' ? 'heap' : 'event-loop lag'}); retry later`), retry);
    }
  }

  details(): { limits: AdmissionLimits; pressure: PressureSample; waiting: number; admitting: boolean; refusing?: AdmissionReason } {
    const refusing = admissionVerdict(this.pressure(), this.waiting(), true, this.limits);
    return { limits: this.limits, pressure: this.pressure(), waiting: this.waiting(), admitting: refusing === undefined, ...(refusing ? { refusing } : {}) };
  }
}

/** Errors that carry their Retry-After (seconds); the HTTP error handler sets the header. */
export function withRetry<E extends Error>(error: E, seconds: number): E & { retryAfterSeconds: number } {
  return Object.assign(error, { retryAfterSeconds: seconds });
}

/**
 * How much of what the AI providers' rate limits allow the stack used when it needed more. Pure:
 * provider samples (counters read from each fake provider's /admin/stats every step) and the
 * run's signs of unmet demand → the figures. The samples cut the run into intervals; an interval
 * is overloaded when, within it,
 *   - some provider answered 429 (the matcher asked for more than a limit allows), or
 *   - the queue had analyses waiting (Prometheus, queue-waiting: every worker busy or held back), or
 *   - an analysis the users requested was answered by the local matcher (inline at Basic, or the
 *     fallback): an AI answer was wanted and another path gave it.
 * Utilisation is the providers' ok answers over the overloaded intervals ÷ what their limits
 * allow over those intervals (rateLimit per window, pro rata). Under real overload a well-used
 * stack is near 1; low values say capacity was left unused (routing to one provider, too little
 * worker concurrency, Basic calling no provider). A fixed window's allowance can be spent in a
 * burst, so a short overload may exceed 1. Providers without a limit (0) are left out of the ratio.
 */

export interface ProviderReading {
  ok: number;
  rateLimited: number;
  /** Requests per window; 0 = unlimited. */
  rateLimit: number;
  rateWindowMs: number;
}

export interface ProviderSample {
  /** Seconds since the run started. */
  t: number;
  /** null: that provider's stats could not be read this time. */
  providers: Record<string, ProviderReading | null>;
}

export interface DemandSignals {
  /** Prometheus queue-waiting points: [seconds since the start, analyses waiting]. */
  queueWaiting: Array<[number, number]>;
  /** When requested analyses were answered by the local matcher (seconds since the start). */
  localAnswersAt: number[];
}

export interface ProviderFigures {
  /** The last reading's limit: requests per window (0 = unlimited) and the window. */
  rateLimit: number;
  rateWindowSeconds: number;
  /** Over the sampled run. */
  ok: number;
  rateLimited: number;
  okWhileOverloaded: number;
  /** What the limit allows over the overloaded intervals (null: unlimited). */
  allowedWhileOverloaded: number | null;
  utilisation: number | null;
  failedSamples: number;
}

export interface ProviderUtilisation {
  /** ok answers ÷ what the limits allow, over the overloaded intervals; null when demand never exceeded them. */
  providerUtilisation: number | null;
  overloadSeconds: number;
  /** Seconds between the first and the last sample. */
  sampledSeconds: number;
  /** Overloaded seconds by sign (an interval may show several). */
  overloadBy: { rateLimited: number; queueWaiting: number; localAnswers: number };
  /** Provider 429s over the run, all providers. */
  rateLimited: number;
  providers: Record<string, ProviderFigures>;
  samples: number;
  failedSamples: number;
}

/** A counter's increase; a lower value means the counter was reset (the provider restarted). */
const increase = (before: number, after: number) => (after >= before ? after - before : after);

export function providerUtilisation(samples: ProviderSample[], demand: DemandSignals): ProviderUtilisation {
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.providers)))].sort();
  const providers: Record<string, ProviderFigures> = {};
  for (const name of names) {
    const readings = samples.map((s) => s.providers[name]).filter((r): r is ProviderReading => !!r);
    const last = readings[readings.length - 1];
    providers[name] = {
      rateLimit: last?.rateLimit ?? 0, rateWindowSeconds: (last?.rateWindowMs ?? 0) / 1000, ok: 0, rateLimited: 0,
      okWhileOverloaded: 0, allowedWhileOverloaded: last && last.rateLimit > 0 ? 0 : null, utilisation: null,
      failedSamples: samples.length - readings.length,
    };
  }
  const overloadBy = { rateLimited: 0, queueWaiting: 0, localAnswers: 0 };
  let overloadSeconds = 0;
  for (let i = 1; i < samples.length; i++) {
    const from = samples[i - 1]!;
    const to = samples[i]!;
    const dt = to.t - from.t;
    const inside = (t: number) => t >= from.t && t < to.t;
    const deltas = names.flatMap((name) => {
      const a = from.providers[name];
      const b = to.providers[name];
      return a && b ? [{ name, limit: a, ok: increase(a.ok, b.ok), rateLimited: increase(a.rateLimited, b.rateLimited) }] : [];
    });
    const signs = {
      rateLimited: deltas.some((d) => d.rateLimited > 0),
      queueWaiting: demand.queueWaiting.some(([t, v]) => inside(t) && v > 0),
      localAnswers: demand.localAnswersAt.some(inside),
    };
    const overloaded = signs.rateLimited || signs.queueWaiting || signs.localAnswers;
    if (overloaded) {
      overloadSeconds += dt;
      for (const k of Object.keys(signs) as Array<keyof typeof signs>) if (signs[k]) overloadBy[k] += dt;
    }
    for (const d of deltas) {
      const p = providers[d.name]!;
      p.ok += d.ok;
      p.rateLimited += d.rateLimited;
      if (!overloaded) continue;
      p.okWhileOverloaded += d.ok;
      if (d.limit.rateLimit > 0 && p.allowedWhileOverloaded !== null) p.allowedWhileOverloaded += (d.limit.rateLimit * dt) / (d.limit.rateWindowMs / 1000);
    }
  }
  let ok = 0;
  let allowed = 0;
  for (const p of Object.values(providers)) {
    if (p.allowedWhileOverloaded === null || p.allowedWhileOverloaded === 0) continue;
    p.utilisation = p.okWhileOverloaded / p.allowedWhileOverloaded;
    ok += p.okWhileOverloaded;
    allowed += p.allowedWhileOverloaded;
  }
  return {
    providerUtilisation: overloadSeconds > 0 && allowed > 0 ? ok / allowed : null,
    overloadSeconds,
    sampledSeconds: samples.length > 1 ? samples[samples.length - 1]!.t - samples[0]!.t : 0,
    overloadBy,
    rateLimited: Object.values(providers).reduce((s, p) => s + p.rateLimited, 0),
    providers,
    samples: samples.length,
    failedSamples: Object.values(providers).reduce((s, p) => s + p.failedSamples, 0),
  };
}

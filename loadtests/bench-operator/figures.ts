/**
 * The benchmark's arithmetic, pure so it is unit-tested: the Prometheus text format (only what
 * the sampler reads: counters and gauges summed over series), /proc's RSS and CPU ticks, rates
 * per minute from counter samples, and latency percentiles.
 */
import { latencySummary, type LatencySummary } from '../load/stats.js';

/** The sum over every series of `name` in a text exposition whose labels pass `keep`; undefined when there is none. */
export function metricSum(text: string, name: string, keep: (labels: string) => boolean = () => true): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    let labels = '';
    let value: string;
    if (rest.startsWith('{')) {
      const close = rest.lastIndexOf('}');
      if (close < 0) continue;
      labels = rest.slice(1, close);
      value = rest.slice(close + 1).trim();
    } else if (rest.startsWith(' ')) {
      value = rest.trim();
    } else continue; // another metric whose name starts with this one
    if (!keep(labels)) continue;
    const v = Number(value.split(' ')[0]);
    if (Number.isFinite(v)) total = (total ?? 0) + v;
  }
  return total;
}

/** The sums of `name` per value of one label, e.g. writes by kind. */
export function metricByLabel(text: string, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const pattern = new RegExp(`${label}="([^"]*)"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const key = pattern.exec(line)?.[1];
    const v = Number(line.slice(line.lastIndexOf('}') + 1).trim().split(' ')[0]);
    if (key !== undefined && Number.isFinite(v)) out[key] = (out[key] ?? 0) + v;
  }
  return out;
}

/** A label filter: every given label has exactly that value. */
export const withLabels = (wanted: Record<string, string>) => (labels: string) =>
  Object.entries(wanted).every(([k, v]) => labels.includes(`${k}="${v}"`));

/** Resident set size in bytes from /proc/<pid>/status (VmRSS, in kB). */
export function rssBytes(status: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

/**
 * CPU ticks (utime + stime) from /proc/<pid>/stat. The command name (field 2) may hold spaces
 * and parentheses, so fields are counted from the last ')'.
 */
export function cpuTicks(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  // After the name: state is field 3, utime field 14, stime field 15 (1-based over the whole line).
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : undefined;
}

/** Cores used between two samples: CPU ticks spent over wall-clock time. */
export function coresBetween(a: { atMs: number; ticks: number }, b: { atMs: number; ticks: number }, ticksPerSecond: number): number {
  const seconds = (b.atMs - a.atMs) / 1000;
  return seconds > 0 ? (b.ticks - a.ticks) / ticksPerSecond / seconds : 0;
}

export interface CounterSample { atMs: number; value: number }

/**
 * How much a counter grew over the samples, a reset (a value below the previous one: the process
 * restarted) counted from zero as Prometheus's increase() does.
 */
export function counterIncrease(samples: CounterSample[]): number {
  let total = 0;
  for (let i = 1; i < samples.length; i++) {
    const prev = samples[i - 1]!.value;
    const cur = samples[i]!.value;
    total += cur >= prev ? cur - prev : cur;
  }
  return total;
}

/** The counter's average rate per minute over the samples; undefined with fewer than two. */
export function perMinute(samples: CounterSample[]): number | undefined {
  if (samples.length < 2) return undefined;
  const minutes = (samples[samples.length - 1]!.atMs - samples[0]!.atMs) / 60_000;
  return minutes > 0 ? counterIncrease(samples) / minutes : undefined;
}

/** The counter's rate per minute between consecutive samples (for the chart), at each later sample's time. */
export function perMinuteSeries(samples: CounterSample[]): CounterSample[] {
  const out: CounterSample[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const rate = perMinute([a, b]);
    if (rate !== undefined) out.push({ atMs: b.atMs, value: rate });
  }
  return out;
}

export interface Spread { mean: number | null; max: number | null; p50: number | null; p99: number | null }

/** Mean, max and percentiles of gauge readings (RSS, cores, queue depth). */
export function spread(values: number[]): Spread {
  const s = latencySummary(values);
  return { mean: s.mean, max: s.max, p50: s.p50, p99: s.p99 };
}

export { latencySummary, type LatencySummary };

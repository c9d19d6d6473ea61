/**
 * The figures of one window of a phase (start-up, steady state, the change) from the samples:
 * pure, so what the report says is recomputable from report.json's samples and unit-tested.
 */
import { coresBetween, perMinute, spread, type CounterSample, type Spread } from './figures.js';
import type { Sample } from './sampler.js';

export interface Window { name: string; fromMs: number; toMs: number }

export interface WindowFigures {
  window: string;
  seconds: number;
  samples: number;
  /** RSS of the contender's processes together, MB. */
  rssMb: Spread;
  /** Cores of the contender's processes together: mean over the window, and each 5 s interval's spread. */
  cores: { mean: number | null; intervals: Spread };
  perProcess: Record<string, { rssMbMax: number | null; coresMean: number | null }>;
  /** API requests per minute by kind (read, write, watch), null when not measured. */
  apiPerMinute: Record<string, number | null>;
  /** Plimsoll's writes per minute by what was written (scale, runtime, status, event…). */
  writesPerMinuteByKind: Record<string, number>;
  /** Prometheus queries per minute: the contender's own (counted by the proxy), and all clients' (Prometheus's counter). */
  promQueriesPerMinute: { own: number | null; allClients: number | null };
  queueDepth: Spread;
  reconcilesPerMinute: number | null;
  meanReconcileSeconds: number | null;
}

const MB = 1024 * 1024;

export function inWindow(samples: Sample[], w: Window): Sample[] {
  return samples.filter((s) => s.atMs >= w.fromMs && s.atMs <= w.toMs);
}

/** A counter's samples within the window, from the samples that carry it. */
function counter(samples: Sample[], key: string): CounterSample[] {
  return samples.flatMap((s) => (s.values[key] === undefined ? [] : [{ atMs: s.atMs, value: s.values[key]! }]));
}

const rate = (samples: Sample[], key: string) => perMinute(counter(samples, key)) ?? null;

/** Cores of the named processes between consecutive samples that have them all. */
export function coreIntervals(samples: Sample[], processes: string[], ticksPerSecond: number): number[] {
  const out: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    if (!processes.every((p) => a.processes[p] && b.processes[p])) continue;
    const ticks = (s: Sample) => processes.reduce((t, p) => t + s.processes[p]!.ticks, 0);
    out.push(coresBetween({ atMs: a.atMs, ticks: ticks(a) }, { atMs: b.atMs, ticks: ticks(b) }, ticksPerSecond));
  }
  return out;
}

/** Mean cores over the window: ticks from its first to its last sample holding every process. */
export function meanCores(samples: Sample[], processes: string[], ticksPerSecond: number): number | null {
  const full = samples.filter((s) => processes.every((p) => s.processes[p]));
  if (full.length < 2) return null;
  const ticks = (s: Sample) => processes.reduce((t, p) => t + s.processes[p]!.ticks, 0);
  const first = full[0]!;
  const last = full[full.length - 1]!;
  return coresBetween({ atMs: first.atMs, ticks: ticks(first) }, { atMs: last.atMs, ticks: ticks(last) }, ticksPerSecond);
}

export function summariseWindow(all: Sample[], w: Window, processes: string[], ticksPerSecond: number): WindowFigures {
  const samples = inWindow(all, w);
  const rss = samples.filter((s) => processes.every((p) => s.processes[p])).map((s) => processes.reduce((t, p) => t + s.processes[p]!.rss, 0) / MB);
  const kinds = new Set(samples.flatMap((s) => Object.keys(s.values)).filter((k) => k.startsWith('writes.')).map((k) => k.slice('writes.'.length)));
  const writesPerMinuteByKind: Record<string, number> = {};
  for (const kind of [...kinds].sort()) writesPerMinuteByKind[kind] = rate(samples, `writes.${kind}`) ?? 0;
  const reconciles = counter(samples, 'reconcile.count');
  const reconcileSeconds = counter(samples, 'reconcile.seconds');
  const reconcileCount = reconciles.length >= 2 ? reconciles[reconciles.length - 1]!.value - reconciles[0]!.value : 0;
  const perProcess: WindowFigures['perProcess'] = {};
  for (const p of new Set(samples.flatMap((s) => Object.keys(s.processes)))) {
    const r = samples.flatMap((s) => (s.processes[p] ? [s.processes[p]!.rss / MB] : []));
    perProcess[p] = { rssMbMax: r.length ? Math.max(...r) : null, coresMean: meanCores(samples, [p], ticksPerSecond) };
  }
  return {
    window: w.name,
    seconds: (w.toMs - w.fromMs) / 1000,
    samples: samples.length,
    rssMb: spread(rss),
    cores: { mean: meanCores(samples, processes, ticksPerSecond), intervals: spread(coreIntervals(samples, processes, ticksPerSecond)) },
    perProcess,
    apiPerMinute: { read: rate(samples, 'api.read'), write: rate(samples, 'api.write'), watch: rate(samples, 'api.watch') },
    writesPerMinuteByKind,
    promQueriesPerMinute: { own: rate(samples, 'prom.own'), allClients: rate(samples, 'prom.all') },
    queueDepth: spread(samples.flatMap((s) => (s.values['queue.depth'] === undefined ? [] : [s.values['queue.depth']!]))),
    reconcilesPerMinute: rate(samples, 'reconcile.count'),
    meanReconcileSeconds: reconcileCount > 0 && reconcileSeconds.length >= 2
      ? (reconcileSeconds[reconcileSeconds.length - 1]!.value - reconcileSeconds[0]!.value) / reconcileCount : null,
  };
}

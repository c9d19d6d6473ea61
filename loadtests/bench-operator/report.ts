/**
 * The benchmark's report: per contender the start-up, steady and change windows' figures and the
 * change latency, the issue's goals checked against Plimsoll's steady state (reported, never
 * asserted), and the KEDA/Plimsoll ratios. Pure: built from the phases' samples.
 */
import type { LatencyReport } from './latency.js';
import type { PhaseResult } from './phase.js';
import type { Sample } from './sampler.js';
import { summariseWindow, type WindowFigures } from './summary.js';

export interface ContenderReport {
  contender: string;
  processes: string[];
  convergedSeconds: number | null;
  windows: WindowFigures[];
  latency: LatencyReport | null;
  notes: string[];
}

export interface Goal { goal: string; measured: string; met: boolean | null }

export interface BenchReport {
  startedAt: string;
  command: string;
  options: Record<string, unknown>;
  loadAverage: { start: number[]; end: number[] };
  cores: number;
  contenders: ContenderReport[];
  goals: Goal[];
  /** KEDA ÷ Plimsoll per steady-state figure (above 1: KEDA uses more), or why there is none. */
  kedaRatio: Record<string, number | null> | { notRun: string };
  notes: string[];
}

export function contenderReport(phase: PhaseResult, processes: string[], ticksPerSecond: number): ContenderReport {
  return {
    contender: phase.contender,
    processes,
    convergedSeconds: phase.convergedSeconds,
    windows: phase.windows.map((w) => summariseWindow(phase.samples, w, processes, ticksPerSecond)),
    latency: phase.latency,
    notes: phase.notes,
  };
}

const steadyOf = (c: ContenderReport | undefined) => c?.windows.find((w) => w.window === 'steady');
const fmt = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? '—' : v.toFixed(digits));

export function goals(plimsoll: ContenderReport): Goal[] {
  const steady = steadyOf(plimsoll);
  const p99 = plimsoll.latency?.fromReadSeconds?.p99 ?? null;
  const rss = steady?.rssMb.max ?? null;
  const cores = steady?.cores.mean ?? null;
  const writes = steady?.apiPerMinute.write ?? null;
  return [
    { goal: 'RSS under 200 MB (steady, max)', measured: `${fmt(rss)} MB`, met: rss === null ? null : rss < 200 },
    { goal: 'under 0.2 of a core (steady, mean)', measured: `${fmt(cores, 3)} cores`, met: cores === null ? null : cores < 0.2 },
    { goal: '0 writes per minute when nothing changes', measured: `${fmt(writes, 2)} /min`, met: writes === null ? null : writes === 0 },
    { goal: 'p99 under 2 s from a signal change to the scale write (from the operator\'s read)', measured: `${fmt(p99, 2)} s`, met: p99 === null ? null : p99 < 2 },
  ];
}

export function kedaRatio(plimsoll: ContenderReport, keda: ContenderReport): Record<string, number | null> {
  const p = steadyOf(plimsoll);
  const k = steadyOf(keda);
  const ratio = (a: number | null | undefined, b: number | null | undefined) => (a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b);
  return {
    rssMbMax: ratio(k?.rssMb.max, p?.rssMb.max),
    coresMean: ratio(k?.cores.mean, p?.cores.mean),
    apiReadsPerMinute: ratio(k?.apiPerMinute.read, p?.apiPerMinute.read),
    apiWritesPerMinute: ratio(k?.apiPerMinute.write, p?.apiPerMinute.write),
    prometheusQueriesPerMinuteAllClients: ratio(k?.promQueriesPerMinute.allClients, p?.promQueriesPerMinute.allClients),
    p99FromVisibleSeconds: ratio(keda.latency?.fromVisibleSeconds.p99, plimsoll.latency?.fromVisibleSeconds.p99),
  };
}

function windowLines(w: WindowFigures, processes: string[]): string[] {
  const api = w.apiPerMinute;
  const byKind = Object.entries(w.writesPerMinuteByKind).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n.toFixed(1)}`).join(', ');
  const context = Object.entries(w.perProcess).filter(([p]) => !processes.includes(p)).map(([p, f]) => `${p} ${fmt(f.coresMean, 3)} cores`).join(', ');
  return [
    `  ${w.window} (${w.seconds.toFixed(0)} s, ${w.samples} samples)`,
    `    RSS ${fmt(w.rssMb.mean)} MB mean, ${fmt(w.rssMb.max)} MB max · CPU ${fmt(w.cores.mean, 3)} cores mean, ${fmt(w.cores.intervals.max, 3)} max over 5 s`,
    `    API requests/min: reads ${fmt(api.read)}, writes ${fmt(api.write, 2)}, watches started ${fmt(api.watch, 2)}${byKind ? ` · writes by kind: ${byKind}` : ''}`,
    `    Prometheus queries/min: own ${fmt(w.promQueriesPerMinute.own)}, all clients ${fmt(w.promQueriesPerMinute.allClients)}`,
    `    work-queue depth: mean ${fmt(w.queueDepth.mean, 2)}, max ${fmt(w.queueDepth.max, 0)}${w.reconcilesPerMinute !== null ? ` · reconciles/min ${fmt(w.reconcilesPerMinute)}, mean ${fmt(w.meanReconcileSeconds === null ? null : w.meanReconcileSeconds * 1000, 1)} ms` : ''}`,
    ...(context ? [`    context (not counted): ${context}`] : []),
  ];
}

const latencyLine = (label: string, s: { count: number; p50: number | null; p99: number | null; max: number | null }) =>
  `    ${label}: p50 ${fmt(s.p50, 2)} s, p99 ${fmt(s.p99, 2)} s, max ${fmt(s.max, 2)} s (${s.count})`;

export function renderText(report: BenchReport): string {
  const lines = [
    `bench-operator ${report.startedAt}: ${report.command}`,
    `machine: ${report.cores} cores, load average at start ${report.loadAverage.start.map((l) => l.toFixed(2)).join(' ')}, at end ${report.loadAverage.end.map((l) => l.toFixed(2)).join(' ')}`,
  ];
  for (const c of report.contenders) {
    lines.push('', `${c.contender} (${c.processes.join(' + ')}): converged in ${fmt(c.convergedSeconds, 0)} s`);
    for (const w of c.windows) lines.push(...windowLines(w, c.processes));
    if (c.latency) {
      lines.push(`  change latency to the scale write, ${c.latency.scaled}/${c.latency.changes} scaled:`);
      lines.push(latencyLine('from the exporter\'s change', c.latency.fromExporterSeconds));
      lines.push(latencyLine('from visible in Prometheus', c.latency.fromVisibleSeconds));
      if (c.latency.fromReadSeconds) lines.push(latencyLine('from the operator\'s read', c.latency.fromReadSeconds));
    }
    for (const n of c.notes) lines.push(`  note: ${n}`);
  }
  lines.push('', 'goals (Plimsoll, steady state; figures, not assertions):');
  for (const g of report.goals) lines.push(`  ${g.met === null ? '?' : g.met ? 'met    ' : 'MISSED '} ${g.goal}: ${g.measured}`);
  lines.push('', 'KEDA ÷ Plimsoll (steady state):');
  if ('notRun' in report.kedaRatio) lines.push(`  not run: ${report.kedaRatio.notRun}`);
  else for (const [k, v] of Object.entries(report.kedaRatio)) lines.push(`  ${k}: ${fmt(v, 2)}`);
  for (const n of report.notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}

export type { Sample };

/**
 * The benchmark's report: per contender the start-up, steady and change windows' figures and the
 * change latency, the issue's goals checked against Plimsoll's steady state (reported, never
 * asserted), and the KEDA/Plimsoll ratios. Pure: built from the phases' samples.
 */
import { counterIncrease } from './figures.js';
import type { LatencyReport } from './latency.js';
import type { PhaseResult } from './phase.js';
import type { Sample } from './sampler.js';
import { inWindow, summariseWindow, type Window, type WindowFigures } from './summary.js';
import { showChange, writesByCause, type CauseRow, type WriteRecord } from './write-diff.js';

/** The writes of one window, explained: counted by the contender, seen on the watches, grouped by cause. */
export interface WindowWrites {
  window: string;
  /** The contender's own count of its API writes in the window (its metrics), null when not measured. */
  counted: number | null;
  /** The contender's writes seen on the watches. */
  seen: number;
  /** Writes by others on the watched objects (the HPA controller's, for KEDA), in byCause too. */
  seenByOthers: number;
  byCause: CauseRow[];
  /** Every write seen (report.txt lists them when there are at most LIST_WRITES_UP_TO). */
  records: WriteRecord[];
}

export interface ContenderReport {
  contender: string;
  processes: string[];
  convergedSeconds: number | null;
  windows: WindowFigures[];
  latency: LatencyReport | null;
  writes: WindowWrites[];
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

const LIST_WRITES_UP_TO = 30;

/** The steady and change windows' writes (start-up is all writes by design). */
export function windowWrites(samples: Sample[], records: WriteRecord[], w: Window): WindowWrites {
  const counts = inWindow(samples, w).flatMap((s) => (s.values['api.write'] === undefined ? [] : [{ atMs: s.atMs, value: s.values['api.write']! }]));
  const seen = records.filter((r) => r.atMs >= w.fromMs && r.atMs <= w.toMs);
  return {
    window: w.name,
    counted: counts.length >= 2 ? counterIncrease(counts) : null,
    seen: seen.filter((r) => !r.byOthers).length,
    seenByOthers: seen.filter((r) => r.byOthers).length,
    byCause: writesByCause(records, w.fromMs, w.toMs),
    records: seen,
  };
}

export function contenderReport(phase: PhaseResult, processes: string[], ticksPerSecond: number): ContenderReport {
  return {
    contender: phase.contender,
    processes,
    convergedSeconds: phase.convergedSeconds,
    windows: phase.windows.map((w) => summariseWindow(phase.samples, w, processes, ticksPerSecond)),
    latency: phase.latency,
    writes: phase.windows.filter((w) => w.name !== 'start-up').map((w) => windowWrites(phase.samples, phase.writes, w)),
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
  const steadyWrites = plimsoll.writes.find((w) => w.window === 'steady');
  return [
    { goal: 'RSS under 200 MB (steady, max)', measured: `${fmt(rss)} MB`, met: rss === null ? null : rss < 200 },
    { goal: 'under 0.2 of a core (steady, mean)', measured: `${fmt(cores, 3)} cores`, met: cores === null ? null : cores < 0.2 },
    { goal: '0 writes per minute when nothing changes', measured: `${fmt(writes, 2)} /min${steadyWrites ? ` (${steadyWrites.counted ?? '—'} writes counted, ${steadyWrites.seen} seen on the watches: by cause above)` : ''}`, met: writes === null ? null : writes === 0 },
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

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** The "writes by cause" table of a window: what each write changed, from the watches. */
export function writesLines(w: WindowWrites, namespace: string): string[] {
  const others = w.seenByOthers ? ` (and ${w.seenByOthers} by others: the HPA controller)` : '';
  const lines = [`  ${w.window === 'steady' ? 'steady-state' : w.window} writes by cause (the contender's seen on the watches of ${namespace}: ${w.seen}${others}; counted by the contender: ${w.counted ?? '—'}):`];
  if (w.counted !== null && w.counted > w.seen) lines.push(`    ${w.counted - w.seen} counted but not seen: writes the API server found nothing to change in (no-op), outside the watched objects, or at the window's edge`);
  if (w.byCause.length === 0) return [...lines, '    none'];
  lines.push('    count  objects  cause');
  for (const row of w.byCause) {
    lines.push(`    ${String(row.count).padStart(5)}  ${String(row.objects).padStart(7)}  ${row.cause}${row.onlyTimes ? '   [only times changed]' : ''}${row.byOthers ? '   [not the contender\'s]' : ''}`);
    if (w.records.length > LIST_WRITES_UP_TO) lines.push(`                    e.g. ${row.example.name} at ${clock(row.example.atMs)}: ${row.example.changes.slice(0, 6).map((c) => showChange(c, 48)).join('; ') || `created${row.example.detail ? `: ${row.example.detail.slice(0, 200)}` : ''}`}`);
  }
  if (w.records.length <= LIST_WRITES_UP_TO) {
    lines.push('    every write:');
    for (const r of w.records) lines.push(`      ${clock(r.atMs)} ${r.kind} ${r.name} ${r.verb}${r.changes.length ? `: ${r.changes.map((c) => showChange(c, 60)).join('; ')}` : ''}${r.detail ? `: ${r.detail.slice(0, 200)}` : ''}`);
  }
  return lines;
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
    for (const w of c.writes) lines.push(...writesLines(w, c.contender === 'plimsoll' ? 'the benchmark namespace' : 'the KEDA namespace'));
    for (const n of c.notes) lines.push(`  note: ${n}`);
  }
  lines.push('', 'goals (Plimsoll, steady state; figures, not assertions):');
  for (const g of report.goals) lines.push(`  ${g.met === null ? '?' : g.met ? 'met    ' : 'MISSED '} ${g.goal}: ${g.measured}`);
  lines.push('', 'KEDA ÷ Plimsoll (steady state):');
  if ('notRun' in report.kedaRatio) lines.push(`  not run: ${report.kedaRatio.notRun}`);
  else for (const [k, v] of Object.entries(report.kedaRatio)) lines.push(`  ${k}: ${v === null ? '— (no finite ratio: a figure is missing, or Plimsoll\'s is 0)' : fmt(v, 2)}`);
  for (const n of report.notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}

export type { Sample };

/**
 * Turns a simulation into what a person reads: a side-by-side table, the JSON summary, a
 * timeline CSV and an SVG chart with the controllers as coloured lines on shared axes.
 */
import { SERVICE_LEVELS } from '../contract/service-levels.js';
import type { Tick } from './model.js';
import { percentile } from './observed.js';
import type { ControllerSummary, SimulationResult } from './run.js';

const COLUMNS: Array<[keyof ControllerSummary, string, (v: number) => string]> = [
  ['successRate', 'success', (v) => `${(v * 100).toFixed(2)}%`],
  ['shedRate', 'shed', (v) => `${(v * 100).toFixed(2)}%`],
  ['p95LatencySeconds', 'p95 s', (v) => v.toFixed(3)],
  ['analysisP95Seconds', 'analysis p95 s', (v) => v.toFixed(1)],
  ['sloViolationSeconds', 'SLO-violation s', String],
  ['replicaSeconds', 'replica-s', String],
  ['peakReplicas', 'peak replicas', String],
  ['budgetViolations', 'budget violations', String],
  ['levelChanges', 'level changes', String],
  ['oomKills', 'OOM kills', String],
];

export function renderTable(result: SimulationResult): string {
  const names = Object.keys(result.controllers);
  const rows = [['controller', ...COLUMNS.map(([, label]) => label)], ...names.map((n) => [n, ...COLUMNS.map(([key, , fmt]) => fmt(result.controllers[n]![key]))])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const header = `scenario ${result.scenario} · ${result.durationSeconds} s simulated · seed ${result.seed}`;
  return [header, line(rows[0]!), ...rows.slice(1).map(line)].join('\n') + '\n';
}

export function renderJson(result: SimulationResult): string {
  return JSON.stringify({ scenario: result.scenario, seed: result.seed, durationSeconds: result.durationSeconds, controllers: result.controllers }, null, 2) + '\n';
}

interface Series {
  label: string;
  unit: string;
  value: (tick: Tick) => number;
  /** Labels for the y axis instead of numbers (the service level). */
  ticks?: readonly string[];
}

const SERIES: Series[] = [
  { label: 'Load', unit: 'requests/s', value: (t) => t.arrivals },
  { label: 'Replicas', unit: 'running', value: (t) => t.replicas },
  { label: 'Pool', unit: 'connections per replica', value: (t) => t.poolMax },
  { label: 'Pools together', unit: 'connections (dashed: budget)', value: (t) => t.poolTotal },
  { label: 'Concurrency', unit: 'provider calls per replica, all providers', value: (t) => Object.values(t.concurrency).reduce((a, b) => a + b, 0) },
  { label: 'Service level', unit: 'average over replicas', value: (t) => t.levelRank, ticks: SERVICE_LEVELS },
  { label: 'Latency', unit: 'p95 seconds', value: (t) => percentile(t.latencies, 0.95) ?? 0 },
  { label: 'Provider queue', unit: 'jobs waiting', value: (t) => t.metrics.queueWaiting },
];

export function renderCsv(result: SimulationResult): string {
  const header = ['controller', 't', 'arrivals', 'succeeded', 'failed', 'shed', 'replicas', 'readyReplicas', 'poolMax', 'poolTotal', 'concurrency', 'levelRank', 'p95LatencySeconds', 'queueWaiting', 'heapUsedBytes', 'pgbouncerWaiting', 'cpuUtilization'];
  const lines = [header.join(',')];
  for (const [name, ticks] of Object.entries(result.timelines)) {
    for (const t of ticks) {
      const concurrency = Object.entries(t.concurrency).map(([p, c]) => `${p}=${c}`).join(';');
      lines.push([name, t.t, t.arrivals.toFixed(2), t.succeeded.toFixed(2), t.failed.toFixed(2), t.shed.toFixed(2), t.replicas, t.readyReplicas, t.poolMax, t.poolTotal, concurrency, t.levelRank.toFixed(2), (percentile(t.latencies, 0.95) ?? 0).toFixed(3), t.metrics.queueWaiting.toFixed(1), Math.round(t.metrics.heapUsedBytes), t.metrics.pgbouncerWaiting.toFixed(1), t.metrics.cpuUtilization.toFixed(3)].join(','));
    }
  }
  return lines.join('\n') + '\n';
}

const COLORS: Record<string, string> = { plimsoll: '#1f6feb', hpa: '#d97706', static: '#6b7280' };
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Averages each series over buckets so an hour fits the chart's width without aliasing. */
function downsample(ticks: Tick[], value: (t: Tick) => number, points: number): number[] {
  const size = Math.max(1, Math.ceil(ticks.length / points));
  const out: number[] = [];
  for (let i = 0; i < ticks.length; i += size) {
    const slice = ticks.slice(i, i + size);
    out.push(slice.reduce((s, t) => s + value(t), 0) / slice.length);
  }
  return out;
}

/** The chart's geometry in pixels: panels stacked under a legend, labels on the left. */
const LAYOUT = { width: 1100, left: 150, right: 20, panel: 110, gap: 34, top: 60 } as const;

export function renderSvg(result: SimulationResult): string {
  const { budget } = result;
  const { width, left, right, panel, gap, top } = LAYOUT;
  const plotWidth = width - left - right;
  const height = top + SERIES.length * (panel + gap) + 30;
  const names = Object.keys(result.timelines);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${left}" y="24" font-size="16" font-weight="600">${escape(`plimsoll simulate — ${result.scenario} (seed ${result.seed})`)}</text>`,
  ];
  names.forEach((name, i) => {
    const x = left + i * 140;
    parts.push(`<line x1="${x}" y1="42" x2="${x + 24}" y2="42" stroke="${COLORS[name] ?? '#000'}" stroke-width="3"/>`, `<text x="${x + 30}" y="46">${escape(name)}</text>`);
  });
  SERIES.forEach((series, index) => {
    const y0 = top + index * (panel + gap);
    const data = names.map((n) => downsample(result.timelines[n]!, series.value, plotWidth / 2));
    const extra = series.label === 'Pools together' ? [budget] : [];
    const max = series.ticks ? series.ticks.length - 1 : Math.max(1e-9, ...data.flat(), ...extra) * 1.08;
    const y = (v: number) => y0 + panel - (v / max) * panel;
    parts.push(`<text x="10" y="${y0 + 14}" font-weight="600">${escape(series.label)}</text>`, `<text x="10" y="${y0 + 30}" fill="#555">${escape(series.unit)}</text>`);
    parts.push(`<rect x="${left}" y="${y0}" width="${plotWidth}" height="${panel}" fill="none" stroke="#ddd"/>`);
    const labels = series.ticks ? series.ticks.map((label, i) => [label, i] as const) : [[max.toFixed(max < 10 ? 1 : 0), max] as const, ['0', 0] as const];
    for (const [label, v] of labels) parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${escape(label)}</text>`);
    if (extra.length > 0) parts.push(`<line x1="${left}" y1="${y(budget)}" x2="${left + plotWidth}" y2="${y(budget)}" stroke="#dc2626" stroke-dasharray="6 4"/>`);
    data.forEach((points, i) => {
      const step = plotWidth / Math.max(1, points.length - 1);
      const d = points.map((v, k) => `${k === 0 ? 'M' : 'L'}${(left + k * step).toFixed(1)},${y(v).toFixed(1)}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${COLORS[names[i]!] ?? '#000'}" stroke-width="1.6" stroke-opacity="0.9"/>`);
    });
  });
  const axisY = top + SERIES.length * (panel + gap) - gap + 16;
  for (let k = 0; k <= 6; k++) {
    const seconds = Math.round((result.durationSeconds * k) / 6);
    parts.push(`<text x="${left + (plotWidth * k) / 6}" y="${axisY}" text-anchor="middle" fill="#555">${Math.round(seconds / 60)} min</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/**
 * Turns a simulation into what a person reads: a side-by-side table, the JSON summary, a
 * timeline CSV and an SVG chart with the controllers as coloured lines on shared axes.
 */
import { SERVICE_LEVELS } from '../contract/service-levels.js';
import type { Tick } from './model.js';
import { aiAnswers, OUTCOMES, totalOutcomes } from './outcomes.js';
import { percentile } from './observed.js';
import type { ControllerSummary, SimulationResult } from './run.js';

export const percent = (v: number) => `${(v * 100).toFixed(2)}%`;
/** Utilisation is undefined when demand never exceeded the providers' limits. */
export const utilisation = (v: number | null) => (v === null ? '–' : percent(v));

/** Success, AI-answer share and provider utilisation side by side: the first three columns. */
const COLUMNS: Array<[string, (s: ControllerSummary) => string]> = [
  ['success', (s) => percent(s.successRate)],
  ['AI answers', (s) => percent(s.aiAnswerShare)],
  ['provider use', (s) => utilisation(s.providerUtilisation)],
  ['shed', (s) => percent(s.shedRate)],
  ['p95 s', (s) => s.p95LatencySeconds.toFixed(3)],
  ['analysis p95 s', (s) => s.analysisP95Seconds.toFixed(1)],
  ['SLO-violation s', (s) => String(s.sloViolationSeconds)],
  ['replica-s', (s) => String(s.replicaSeconds)],
  ['peak replicas', (s) => String(s.peakReplicas)],
  ['budget violations', (s) => String(s.budgetViolations)],
  ['level changes', (s) => String(s.levelChanges)],
  ['OOM kills', (s) => String(s.oomKills)],
];

/** A plain-text table: the first column left-aligned, the others right-aligned. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return rows.map(line).join('\n') + '\n';
}

export function renderTable(result: SimulationResult): string {
  const names = Object.keys(result.controllers);
  const rows = [['controller', ...COLUMNS.map(([label]) => label)], ...names.map((n) => [n, ...COLUMNS.map(([, fmt]) => fmt(result.controllers[n]!))])];
  const header = `scenario ${result.scenario} · ${result.durationSeconds} s simulated · seed ${result.seed}`;
  return `${header}\n${formatTable(rows)}`;
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
  /** A fixed top of the y axis (shares: 1). */
  max?: number;
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
  {
    label: 'Answered by a provider',
    unit: 'share of analyses settled, fresh or cached',
    value: (t) => (totalOutcomes(t.outcomes) > 0 ? aiAnswers(t.outcomes) / totalOutcomes(t.outcomes) : 0),
    max: 1,
  },
];

export function renderCsv(result: SimulationResult): string {
  const header = ['controller', 't', 'arrivals', 'succeeded', 'failed', 'shed', 'replicas', 'readyReplicas', 'poolMax', 'poolTotal', 'concurrency', 'levelRank', 'p95LatencySeconds', 'queueWaiting', 'heapUsedBytes', 'pgbouncerWaiting', 'cpuUtilization',
    'analyses', ...OUTCOMES.map((k) => `analyses.${k}`), 'providerDemand', 'providerLimit'];
  const lines = [header.join(',')];
  for (const [name, ticks] of Object.entries(result.timelines)) {
    for (const t of ticks) {
      const concurrency = Object.entries(t.concurrency).map(([p, c]) => `${p}=${c}`).join(';');
      lines.push([name, t.t, t.arrivals.toFixed(2), t.succeeded.toFixed(2), t.failed.toFixed(2), t.shed.toFixed(2), t.replicas, t.readyReplicas, t.poolMax, t.poolTotal, concurrency, t.levelRank.toFixed(2), (percentile(t.latencies, 0.95) ?? 0).toFixed(3), t.metrics.queueWaiting.toFixed(1), Math.round(t.metrics.heapUsedBytes), t.metrics.pgbouncerWaiting.toFixed(1), t.metrics.cpuUtilization.toFixed(3),
        t.analyses.toFixed(2), ...OUTCOMES.map((k) => t.outcomes[k].toFixed(2)), t.providerDemand.toFixed(1), t.providerLimit.toFixed(2)].join(','));
    }
  }
  return lines.join('\n') + '\n';
}

const COLORS: Record<string, string> = { plimsoll: '#1f6feb', keda: '#16a34a', hpa: '#d97706', static: '#6b7280' };
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Averages each series over buckets so an hour fits the chart's width without aliasing. */
function downsample<T>(ticks: T[], value: (t: T) => number, points: number): number[] {
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
  const { budgets } = result;
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
    const extra = series.label === 'Pools together' ? budgets : [];
    const max = series.ticks ? series.ticks.length - 1 : series.max ?? Math.max(1e-9, ...data.flat(), ...extra) * 1.08;
    const y = (v: number) => y0 + panel - (v / max) * panel;
    parts.push(`<text x="10" y="${y0 + 14}" font-weight="600">${escape(series.label)}</text>`, `<text x="10" y="${y0 + 30}" fill="#555">${escape(series.unit)}</text>`);
    parts.push(`<rect x="${left}" y="${y0}" width="${plotWidth}" height="${panel}" fill="none" stroke="#ddd"/>`);
    const labels = series.ticks ? series.ticks.map((label, i) => [label, i] as const) : [[max.toFixed(max < 10 ? 1 : 0), max] as const, ['0', 0] as const];
    for (const [label, v] of labels) parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${escape(label)}</text>`);
    if (extra.length > 0) {
      // The budget as it stood each second (a DBA may change it mid-run).
      const points = downsample(budgets, (b) => b, plotWidth / 2);
      const step = plotWidth / Math.max(1, points.length - 1);
      const d = points.map((v, k) => `${k === 0 ? 'M' : 'L'}${(left + k * step).toFixed(1)},${y(v).toFixed(1)}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="#dc2626" stroke-dasharray="6 4"/>`);
    }
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

/**
 * The comparison as a person reads it: a table of the contenders' scorecards side by side (with
 * Plimsoll ÷ KEDA where both ran), in the terminal and in one HTML page, and the page's charts
 * (inline SVG, no script) with one line per contender on shared axes.
 */
import type { Scorecard } from '../load/scorecard.js';
import type { ContenderResult } from './run.js';

type Format = (v: number) => string;
const pct: Format = (v) => `${(v * 100).toFixed(1)} %`;
const int: Format = (v) => String(Math.round(v));
const fixed = (digits: number): Format => (v) => v.toFixed(digits);

interface Row {
  label: string;
  value: (s: Scorecard) => number | null;
  format: Format;
  /** Which way is better, for the ratio column's reading. */
  better: 'higher' | 'lower';
}

export const ROWS: Row[] = [
  { label: 'success (simulator definition)', value: (s) => s.successRatio, format: pct, better: 'higher' },
  { label: 'AI-answer share', value: (s) => s.aiAnswerRatio, format: pct, better: 'higher' },
  { label: 'local-matcher share (degraded)', value: (s) => s.localAnswerRatio, format: pct, better: 'lower' },
  { label: 'unanswered share (late, failed, shed)', value: (s) => s.unansweredRatio, format: pct, better: 'lower' },
  { label: 'provider utilisation in overload', value: (s) => s.providerUtilisationRatio, format: pct, better: 'higher' },
  { label: 'overload seconds', value: (s) => s.overloadSeconds, format: int, better: 'lower' },
  { label: 'latency p95 ms', value: (s) => s.latencyP95Ms, format: fixed(0), better: 'lower' },
  { label: 'latency p99 ms', value: (s) => s.latencyP99Ms, format: fixed(0), better: 'lower' },
  { label: 'time to result p95 s', value: (s) => s.timeToResultP95Seconds, format: fixed(1), better: 'lower' },
  { label: 'replica-seconds', value: (s) => s.replicaSeconds, format: int, better: 'lower' },
  { label: 'peak replicas', value: (s) => s.peakReplicasCount, format: int, better: 'lower' },
  { label: 'peak DB clients (PgBouncer)', value: (s) => s.peakDbClientConnectionsCount, format: int, better: 'lower' },
  { label: 'pools\' budget', value: (s) => s.dbClientConnectionBudgetCount, format: int, better: 'higher' },
  { label: 'seconds over the budget', value: (s) => s.secondsOverDbBudget, format: int, better: 'lower' },
  { label: 'DB connection errors', value: (s) => s.dbConnectionErrorsCount, format: int, better: 'lower' },
  { label: 'provider 429s', value: (s) => s.provider429Count, format: int, better: 'lower' },
  { label: 'shed requests', value: (s) => s.shedCount, format: int, better: 'lower' },
  { label: 'seconds in Full', value: (s) => s.fullSeconds, format: int, better: 'higher' },
  { label: 'seconds in Reduced', value: (s) => s.reducedSeconds, format: int, better: 'lower' },
  { label: 'seconds in Basic', value: (s) => s.basicSeconds, format: int, better: 'lower' },
  { label: 'seconds in Maintenance', value: (s) => s.maintenanceSeconds, format: int, better: 'lower' },
];

/** Plimsoll ÷ KEDA, when both ran and the peer's figure is not 0. */
function ratio(row: Row, results: ContenderResult[]): string {
  const of = (name: string) => results.find((r) => r.plan.name === name)?.scorecard;
  const [p, k] = [of('plimsoll'), of('keda')];
  if (!p || !k) return '';
  const [a, b] = [row.value(p), row.value(k)];
  if (a === null || b === null || a === undefined || b === undefined || b === 0) return '—';
  return `${(a / b).toFixed(2)}×`;
}

export function tableRows(results: ContenderResult[]): string[][] {
  const withRatio = results.some((r) => r.plan.name === 'plimsoll') && results.some((r) => r.plan.name === 'keda');
  const header = ['', ...results.map((r) => r.plan.name), ...(withRatio ? ['plimsoll ÷ keda'] : [])];
  return [header, ...ROWS.map((row) => [
    row.label,
    ...results.map((r) => {
      const v = row.value(r.scorecard);
      // null: not measured (undefined: a scorecard written before the field existed).
      return v === null || v === undefined ? '—' : row.format(v);
    }),
    ...(withRatio ? [ratio(row, results)] : []),
  ])];
}

export function renderCompareTable(scenario: string, timeScale: number, results: ContenderResult[]): string {
  const rows = tableRows(results);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [`make compare: ${scenario} at time scale ${timeScale}`, line(rows[0]!), ...rows.slice(1).map(line)].join('\n') + '\n';
}

const COLORS: Record<string, string> = { plimsoll: '#1f6feb', keda: '#d97706', static: '#6b7280' };
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Chart { title: string; unit: string; series: string; max?: number; ticks?: string[] }

/** The timelines worth seeing side by side; each a series id of the load report. */
const CHARTS: Chart[] = [
  { title: 'Users', unit: 'closed-loop users', series: 'users' },
  { title: 'Replicas', unit: 'up (scraped)', series: 'replicas-up' },
  { title: 'Answered by an AI provider', unit: 'share of the analyses settled per step (fresh)', series: 'answers-provider', max: 1 },
  { title: 'Answered by the local matcher', unit: 'share of the analyses settled per step', series: 'answers-local', max: 1 },
  { title: 'Service level', unit: 'highest over replicas', series: 'level', max: 3, ticks: ['Full', 'Reduced', 'Basic', 'Maintenance'] },
  { title: 'Analyses waiting for a provider', unit: 'jobs', series: 'queue-waiting' },
  { title: 'PgBouncer clients of the database', unit: 'connections (dashed: the pools\' budget)', series: 'pgb-clients' },
  { title: 'Latency', unit: 'p95 ms (measured)', series: 'p95-measured' },
];

const W = 980;
const H = 150;
const LEFT = 84;

function chartSvg(chart: Chart, results: ContenderResult[], duration: number): string {
  // Points past the load (answers drained after it) are left out: the axes are the load's.
  const lines = results.map((r) => ({ name: r.plan.name, points: (r.report.timeline.series.find((s) => s.id === chart.series)?.points ?? []).filter(([t]) => t <= duration) }));
  const budget = chart.series === 'pgb-clients' ? results.map((r) => r.scorecard.dbClientConnectionBudgetCount).find((b) => b !== null) ?? undefined : undefined;
  const max = chart.max ?? Math.max(1e-9, ...lines.flatMap((l) => l.points.map(([, v]) => v)), budget ?? 0) * 1.08;
  const x = (t: number) => LEFT + (t / Math.max(1, duration)) * (W - LEFT - 10);
  const y = (v: number) => 10 + (H - 30) * (1 - v / max);
  const parts = [`<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-size="11" font-family="system-ui, sans-serif">`,
    `<rect x="${LEFT}" y="10" width="${W - LEFT - 10}" height="${H - 30}" fill="none" stroke="#ddd"/>`];
  const labels = chart.ticks ? chart.ticks.map((label, i) => [label, i] as const) : [[max.toFixed(max < 10 ? 1 : 0), max] as const, ['0', 0] as const];
  for (const [label, v] of labels) parts.push(`<text x="${LEFT - 4}" y="${y(v) + 4}" text-anchor="end" fill="#555">${escape(label)}</text>`);
  if (budget !== undefined) parts.push(`<line x1="${LEFT}" x2="${W - 10}" y1="${y(budget)}" y2="${y(budget)}" stroke="#dc2626" stroke-dasharray="6 4"/>`);
  for (const l of lines) {
    if (l.points.length === 0) continue;
    const d = l.points.map(([t, v], i) => `${i === 0 ? 'M' : 'L'}${x(t).toFixed(1)},${y(Math.min(v, max)).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${COLORS[l.name] ?? '#000'}" stroke-width="1.6"/>`);
  }
  for (let k = 0; k <= 5; k++) parts.push(`<text x="${x((duration * k) / 5)}" y="${H - 6}" text-anchor="middle" fill="#555">${Math.round((duration * k) / 5)} s</text>`);
  parts.push('</svg>');
  return parts.join('');
}

export function renderCompareHtml(scenario: string, timeScale: number, results: ContenderResult[]): string {
  const rows = tableRows(results);
  const duration = Math.max(1, ...results.map((r) => r.scorecard.loadSeconds));
  const legend = results.map((r) => `<li><span style="color:${COLORS[r.plan.name] ?? '#000'}">■</span> <b>${escape(r.plan.name)}</b>: ${escape(r.plan.description)} — <a href="${escape(`${r.plan.name}/report.html`)}">its load report</a></li>`).join('');
  const table = `<table><thead><tr>${rows[0]!.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>${rows.slice(1).map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th>${escape(c)}</th>` : `<td>${escape(c)}</td>`)).join('')}</tr>`).join('')}</tbody></table>`;
  const charts = CHARTS.map((c) => `<h3>${escape(c.title)} <small>${escape(c.unit)}</small></h3>${chartSvg(c, results, duration)}`).join('\n');
  const warnings = results.flatMap((r) => r.report.warnings.map((w) => `<li><b>${escape(r.plan.name)}</b>: ${escape(w)}</li>`)).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>make compare: ${escape(scenario)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;max-width:1040px}table{border-collapse:collapse}th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}th:first-child{text-align:left}thead th{border-bottom:2px solid #999}h3 small{font-weight:normal;color:#666}</style></head>
<body><h1>make compare: ${escape(scenario)} <small>time scale ${timeScale}</small></h1>
<p>The same closed-loop users (same seed) against each contender in turn, each from the same clean state. One run each: ratios are measurements of this run, not guarantees.</p>
<ul>${legend}</ul>${table}
${charts}
${warnings ? `<h3>Warnings</h3><ul>${warnings}</ul>` : ''}
</body></html>
`;
}

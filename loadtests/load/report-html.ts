/**
 * report.html: one self-contained page (inline CSS, inline data, inline script; nothing fetched)
 * a person opens from disk. Tables are rendered here, so they read even without JavaScript; the
 * charts are drawn in the page by report-page.js from the embedded report JSON.
 */
import { readFileSync } from 'node:fs';
import { ANALYSIS_OUTCOMES, OUTCOME_LABELS } from './answers.js';
import { eventLoopLagText, runDelayText } from './event-loop.js';
import type { GapRow } from './gap.js';
import type { LoadReport } from './report.js';

const PAGE_SCRIPT = readFileSync(new URL('./report-page.js', import.meta.url), 'utf8');

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** JSON inside <script>: no "</script>" or "<!--" can close or confuse the element. */
export const embedJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

const pct = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(digits)} %`);
const num = (v: number | null | undefined, digits = 0) => (v === null || v === undefined ? '—' : v.toFixed(digits));
const ms = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

function table(head: string[], rows: string[][], className = ''): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${className}"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function gapValue(row: GapRow, v: number | null): string {
  if (v === null) return '—';
  if (row.unit === 'ratio') return pct(v);
  if (row.unit === 's' && Math.abs(v) < 100) return `${v.toFixed(3)} s`;
  return `${v.toFixed(row.unit === 'req/s' ? 1 : 0)} ${escapeHtml(row.unit)}`;
}

function gapCell(row: GapRow): string {
  if (row.gap === null) return '—';
  const sign = row.gap > 0 ? '+' : row.gap < 0 ? '−' : '±';
  const magnitude = Math.abs(row.gap);
  const value = row.unit === 'ratio' ? `${(magnitude * 100).toFixed(2)} pp` : row.unit === 's' && magnitude < 100 ? `${magnitude.toFixed(3)} s` : `${magnitude.toFixed(row.unit === 'req/s' ? 1 : 0)} ${escapeHtml(row.unit)}`;
  const rel = row.relative === null ? '' : ` <span class="rel">(${row.relative >= 0 ? '+' : '−'}${Math.abs(row.relative * 100).toFixed(0)} %)</span>`;
  return `${sign}${value}${rel}`;
}

const kv = (record: Record<string, number>) => Object.entries(record).filter(([, n]) => n > 0).map(([k, n]) => `${escapeHtml(k)} ${n}`).join(', ') || '—';

/** The connection figures against the budget, or why there are none. */
function connectionsTable(report: LoadReport): string {
  const c = report.connections;
  if (!c) return '<p class="meta">PgBouncer was not sampled (--pgbouncer none).</p>';
  const peak = (v: number | undefined) => (v === undefined ? '—' : String(v));
  const rows = [
    ['admin console, database', `${escapeHtml(c.console)}, <strong>${escapeHtml(c.database)}</strong> · ${c.samples} samples every ${c.intervalSeconds} s${c.failedSamples > 0 ? ` (${c.failedSamples} failed)` : ''}`],
    [`budget (${c.budget.source === 'policy' ? 'the policy\'s connectionBudget' : 'read from PgBouncer'})`, `${c.budget.maxConnections} − ${c.budget.reserved} reserved = ${c.budget.pools} for the replicas' pools together`],
    ['PgBouncer', `max_client_conn ${c.limits.maxClientConn} · pool_size ${c.limits.poolSize} + reserve ${c.limits.reservePool} · max_db_connections ${c.limits.maxDbConnections || 'unlimited'} · ${escapeHtml(c.limits.poolMode)} pooling${c.limits.source === 'instance defaults' ? ' (the instance\'s defaults: the database is not listed)' : ''}`],
    ['peak clients of the database (waiting for a server)', `${peak(c.peak?.clients)} of ${c.budget.pools} (${peak(c.peak?.clientsWaiting)})`],
    ['peak clients of PgBouncer (all databases and the console)', `${peak(c.peak?.clientsAll)} of ${c.limits.maxClientConn}`],
    ['peak server connections of the database', `${peak(c.peak?.servers)}`],
    ['seconds over the budget (clients above the pools\' budget)', `${c.secondsOverBudget}`],
    ['seconds at max_client_conn (PgBouncer refused any further client)', `${c.secondsAtCeiling}`],
    ['connection errors the matcher counted (matcher_db_connection_errors_total)', c.matcherErrors === null ? 'no such series in Prometheus' : `${c.matcherErrors.total}${c.matcherErrors.total > 0 ? ` · ${kv(c.matcherErrors.byReason)}` : ''}`],
  ];
  return table(['measure', 'value'], rows.map(([k, v]) => [escapeHtml(k!), v!]), 'connections');
}

/** Who answered the analyses, outcome by outcome. */
function outcomeRows(report: LoadReport): string[][] {
  const a = report.summary.analyses;
  return [
    ['AI answers (provider + cached provider) of analyses requested', `<strong>${pct(a.aiAnswerShare)}</strong>`],
    ['analyses by outcome', ANALYSIS_OUTCOMES.map((o) => `${escapeHtml(OUTCOME_LABELS[o])} ${a.outcomes[o]} (${pct(a.shares[o], 1)})`).join(' · ')],
    ['completed analyses answered by', kv(a.answeredBy)],
  ].map(([k, v]) => [escapeHtml(k!), v!]);
}

/** The providers' answers against their rate limits, or why there are none. */
function providersTable(report: LoadReport): string {
  const p = report.providers;
  if (!p) return '<p class="meta">No provider admin URL: the providers were not sampled.</p>';
  const rows = Object.entries(p.providers).map(([name, f]) => [
    escapeHtml(name), f.rateLimit > 0 ? `${f.rateLimit} / ${num(f.rateWindowSeconds)} s` : 'none', `${f.ok}`, `${f.rateLimited}`,
    `${f.okWhileOverloaded}`, num(f.allowedWhileOverloaded, 1), pct(f.utilisation, 1), `${f.failedSamples}`,
  ]);
  rows.push([
    '<strong>all</strong>', '', `${Object.values(p.providers).reduce((n, f) => n + f.ok, 0)}`, `${p.rateLimited}`,
    `${Object.values(p.providers).reduce((n, f) => n + f.okWhileOverloaded, 0)}`, '', `<strong>${pct(p.providerUtilisation, 1)}</strong>`, `${p.failedSamples}`,
  ]);
  const by = p.overloadBy;
  return `<p class="meta">Demand exceeded the rate limits for ${num(p.overloadSeconds)} s of ${num(p.sampledSeconds)} s sampled (provider 429s ${num(by.rateLimited)} s, analyses waiting ${num(by.queueWaiting)} s, local answers ${num(by.localAnswers)} s). Utilisation: ok answers ÷ what the limits allow, over those seconds${p.providerUtilisation === null ? ' — none, so no utilisation' : ''}.</p>
${table(['provider', 'rate limit', 'ok', '429s', 'ok while overloaded', 'allowed while overloaded', 'utilisation', 'failed readings'], rows, 'providers')}`;
}

const CSS = `
:root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; background: #fff; }
body { margin: 24px; max-width: 1240px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.meta { color: #57606a; font-size: 13px; margin: 2px 0; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: right; } th { background: #f6f8fa; }
td:first-child, th:first-child { text-align: left; }
td .rel { color: #57606a; } .note { color: #57606a; font-size: 12px; text-align: left; }
.warnings { background: #fff8c5; border: 1px solid #d4a72c; padding: 8px 12px 8px 28px; font-size: 13px; }
#js-errors { background: #ffebe9; border: 1px solid #cf222e; padding: 8px 28px; }
#charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
figure.chart { margin: 0; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px; }
figcaption { font-size: 14px; margin-bottom: 4px; } figcaption .unit { color: #57606a; font-size: 12px; }
.chart-svg { width: 100%; height: auto; display: block; }
.chart-svg .grid { stroke: #eaeef2; } .chart-svg .frame { fill: none; stroke: #d0d7de; }
.chart-svg .tick { font-size: 10px; fill: #57606a; } .chart-svg .fault { fill: #cf222e; opacity: 0.08; }
.chart-svg .phase { stroke: #8c959f; stroke-dasharray: 2 3; }
ul.legend { list-style: none; padding: 0; margin: 4px 0 0; font-size: 12px; display: flex; flex-wrap: wrap; gap: 4px 14px; }
ul.legend li.missing { color: #9a6700; flex-basis: 100%; }
.swatch { display: inline-block; width: 18px; border-top: 3px solid; margin-right: 5px; vertical-align: middle; }
.swatch.dashed { border-top-style: dashed; } .swatch.limit { border-top-style: dotted; }
`;

export function renderHtml(report: LoadReport): string {
  const s = report.summary;
  const sc = report.scenario;
  const prediction = 'error' in report.prediction ? undefined : report.prediction;
  const summaryRows: string[][] = [
    ['requests', `${s.total}`],
    ['success rate (HTTP 2xx, degraded answers included)', pct(s.successRate)],
    ['success rate (simulator definition: queued analyses count when answered in time)', pct(s.successRateSimulatorDefinition)],
    ['shed (429/503 with Retry-After)', `${s.shed} · ${pct(s.shedRate)}`],
    ['errors (5xx, other 4xx, timeouts, connection)', `${s.errors} · ${pct(s.errorRate)}`],
    ['throughput', `${num(s.throughputPerSecond, 1)} req/s`],
    ['latency p50 / p95 / p99 (ms, all HTTP answers)', `${ms(s.latencyMs.p50)} / ${ms(s.latencyMs.p95)} / ${ms(s.latencyMs.p99)}`],
    ['successes by service level', kv(s.byLevel)],
    ['status codes', kv(s.byStatus)],
    ['shed reasons', kv(s.shedReasons)],
    ['error reasons', kv(s.errorReasons)],
    ['analyses requested (answered at once / queued / refused: shed or failed POST)', `${s.analyses.requested} (${s.analyses.immediate} / ${s.analyses.queued} / ${s.analyses.requested - s.analyses.immediate - s.analyses.queued})`],
    ['queued analyses: completed / gave up / failed / unresolved at the end', `${s.analyses.completed} / ${s.analyses.gaveUp} / ${s.analyses.failed} / ${s.analyses.unresolved}`],
    ['time to result p50 / p95 (s)', `${num(s.analyses.timeToResultSeconds.p50, 2)} / ${num(s.analyses.timeToResultSeconds.p95, 2)}`],
    ['SLO-violation seconds', `${s.sloViolationSeconds} of ${Math.round(s.durationSeconds)}`],
    ['event-loop delay over the run (every replica\'s timer firings, by level)', escapeHtml(runDelayText(report.eventLoopRun))],
    ['event-loop lag p99 of the replicas (each scrape window)', escapeHtml(eventLoopLagText(report.eventLoop))],
  ].map(([k, v]) => [escapeHtml(k!), v!]).concat(outcomeRows(report));
  const kindRows = Object.entries(report.kinds).filter(([, k]) => k.total > 0).map(([kind, k]) => [
    escapeHtml(kind), `${k.total}`, pct(k.successRate), pct(k.shedRate), pct(k.errorRate), ms(k.latencyMs.p50), ms(k.latencyMs.p95), ms(k.latencyMs.p99),
  ]);
  const gapRows = report.gap.map((r) => [escapeHtml(r.label), gapValue(r, r.measured), gapValue(r, r.predicted), gapCell(r), `<span class="note">${escapeHtml(r.note ?? '')}</span>`]);
  const faultRows = report.faults.map((f) => [
    escapeHtml(f.type), escapeHtml(f.subject), `${f.at} s`, `${f.durationSeconds} s`, escapeHtml(f.status), `<span class="note">${escapeHtml(f.reason ?? (f.settings ? JSON.stringify(f.settings) : ''))}</span>`,
  ]);
  const baselines = prediction
    ? Object.entries(prediction.baselines).map(([name, b]) => `${escapeHtml(name)}: success ${pct(b.successRate)}, p95 ${b.p95LatencySeconds.toFixed(3)} s, peak replicas ${b.peakReplicas}`).join(' · ')
    : '';
  const warnings = report.warnings.length > 0 ? `<ul class="warnings">${report.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Load test: ${escapeHtml(sc.name)} · ${escapeHtml(report.run.startedAt)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>Load test: ${escapeHtml(sc.name)}${sc.timeScale !== 1 ? ` at time scale ${sc.timeScale}` : ''}</h1>
<p class="meta">${escapeHtml(report.run.startedAt)} → ${escapeHtml(report.run.endedAt)} · ${Math.round(sc.durationSeconds)} s of load, up to ${sc.maxUsers} users thinking ${sc.thinkTimeSeconds} s · analyses ${pct(sc.analysisShare, 0)} of requests, cache-hit target ${pct(sc.cacheHitRatio, 0)} · target ${escapeHtml(report.config.target)} · Prometheus ${escapeHtml(report.config.prometheus)}${report.run.machine ? ` · ${report.run.machine.cpus} CPUs, load average ${report.run.machine.loadAverage1m.start.toFixed(1)} → ${report.run.machine.loadAverage1m.end.toFixed(1)}` : ''}${report.run.interrupted ? ` · <strong>interrupted: ${escapeHtml(report.run.interrupted)}</strong>` : ''}</p>
<p class="meta">Scenario ${escapeHtml(sc.file)}; scaled copy simulated: ${escapeHtml(sc.scaledFile)}. Dashed lines are the simulator's prediction for the same scaled scenario; dash-dotted red lines are limits (the connection budget); shaded bands are applied faults; dotted lines separate phases.</p>
${warnings}
<ul id="js-errors" hidden></ul>
<h2>Summary</h2>
${table(['measure', 'value'], summaryRows, 'summary')}
<h2>AI providers against their rate limits</h2>
${providersTable(report)}
<h2>Connections against the budget</h2>
${connectionsTable(report)}
<h2>Measured vs simulated</h2>
${prediction ? '' : `<p class="warnings">The simulator could not run: ${escapeHtml((report.prediction as { error: string }).error)}</p>`}
${table(['metric', 'measured', 'simulated (plimsoll)', 'gap (measured − simulated)', 'how'], gapRows, 'gap')}
${baselines ? `<p class="meta">Simulated baselines on the same scaled scenario: ${baselines}.</p>` : ''}
<h2>Charts</h2>
<div id="charts"></div>
<h2>Per request kind</h2>
${table(['kind', 'requests', 'success', 'shed', 'errors', 'p50 ms', 'p95 ms', 'p99 ms'], kindRows, 'kinds')}
<h2>Faults</h2>
${faultRows.length > 0 ? table(['event', 'subject', 'at', 'for', 'status', 'detail'], faultRows, 'faults') : '<p class="meta">The scenario has no fault events.</p>'}
<script type="application/json" id="report-data">${embedJson(report)}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

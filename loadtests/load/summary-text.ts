/** The end-of-run summary on stdout: outcomes, latency, and the measured-vs-simulated table. */
import { ANALYSIS_OUTCOMES, OUTCOME_LABELS } from './answers.js';
import { eventLoopLagText, runDelayText } from './event-loop.js';
import type { LoadReport } from './report.js';
import type { ProviderUtilisation } from './utilisation.js';

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(2)}%`);

function value(unit: string, v: number | null): string {
  if (v === null) return '—';
  if (unit === 'ratio') return pct(v);
  if (unit === 's' && Math.abs(v) < 100) return v.toFixed(3);
  if (unit === 'cores') return v.toFixed(3);
  return v.toFixed(unit === 'req/s' ? 1 : 0);
}

/** The score in one line: a success is not necessarily an AI answer, nor a well-used provider. */
function scoreLine(report: LoadReport): string {
  const p = report.providers;
  const utilisation = !p ? 'not sampled' : p.providerUtilisation === null ? '— (demand never exceeded the rate limits)' : `${pct(p.providerUtilisation)} over ${p.overloadSeconds.toFixed(0)} s of overload`;
  return `score: success ${pct(report.summary.successRateSimulatorDefinition)} · AI answers ${pct(report.summary.analyses.aiAnswerShare)} of analyses · provider utilisation ${utilisation}`;
}

function outcomesLine(report: LoadReport): string {
  const a = report.summary.analyses;
  return `analyses by outcome: ${ANALYSIS_OUTCOMES.map((o) => `${OUTCOME_LABELS[o]} ${a.outcomes[o]} (${pct(a.shares[o])})`).join(', ')}`;
}

function providersLine(p: ProviderUtilisation): string {
  const each = Object.entries(p.providers).map(([name, f]) => `${name} ${f.ok} ok, ${f.rateLimited} 429s${f.rateLimit > 0 ? ` (limit ${f.rateLimit}/${f.rateWindowSeconds} s)` : ' (no limit)'}`).join('; ');
  return `providers: ${each || 'none'}${p.failedSamples > 0 ? `; ${p.failedSamples} readings failed` : ''}`;
}

export function summaryText(report: LoadReport): string {
  const s = report.summary;
  const lines = [
    `scenario ${report.scenario.name}${report.scenario.timeScale !== 1 ? ` ×${report.scenario.timeScale}` : ''}: ${report.scenario.durationSeconds} s, up to ${report.scenario.maxUsers} users${report.run.interrupted ? ` (${report.run.interrupted})` : ''}`,
    scoreLine(report),
    `requests ${s.total} (${s.throughputPerSecond.toFixed(1)}/s): success ${pct(s.successRate)} [simulator definition ${pct(s.successRateSimulatorDefinition)}], shed ${pct(s.shedRate)}, errors ${pct(s.errorRate)}`,
    `latency ms p50 ${s.latencyMs.p50?.toFixed(1) ?? '—'} · p95 ${s.latencyMs.p95?.toFixed(1) ?? '—'} · p99 ${s.latencyMs.p99?.toFixed(1) ?? '—'}; successes by level: ${Object.entries(s.byLevel).filter(([, n]) => n > 0).map(([l, n]) => `${l} ${n}`).join(', ') || '—'}`,
    `analyses ${s.analyses.requested}: ${s.analyses.immediate} answered at once, ${s.analyses.requested - s.analyses.immediate - s.analyses.queued} refused, ${s.analyses.queued} queued → ${s.analyses.completed} completed, ${s.analyses.gaveUp} given up, ${s.analyses.failed} failed, ${s.analyses.unresolved} unresolved; time to result p95 ${s.analyses.timeToResultSeconds.p95?.toFixed(2) ?? '—'} s`,
    outcomesLine(report),
    `event-loop delay over the run: ${runDelayText(report.eventLoopRun)}`,
    `event-loop lag p99 (each scrape window): ${eventLoopLagText(report.eventLoop)}`,
  ];
  if (report.providers) lines.push(providersLine(report.providers));
  const c = report.connections;
  if (c) {
    const errors = c.matcherErrors === null ? 'no matcher_db_connection_errors_total series'
      : `${c.matcherErrors.total}${c.matcherErrors.total > 0 ? ` (${Object.entries(c.matcherErrors.byReason).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`;
    lines.push(
      `connections (PgBouncer, database ${c.database}, ${c.samples} samples every ${c.intervalSeconds} s): peak ${c.peak?.clients ?? '—'} clients against a pools' budget of ${c.budget.pools} (${c.budget.maxConnections} − ${c.budget.reserved} reserved), `
      + `${c.peak?.clientsAll ?? '—'} of max_client_conn ${c.limits.maxClientConn} in all, ${c.peak?.servers ?? '—'} server connections (max ${c.limits.maxDbConnections || 'unlimited'}); `
      + `${c.secondsOverBudget} s over the budget, ${c.secondsAtCeiling} s at max_client_conn; matcher connection errors ${errors}`,
    );
  }
  if (Object.keys(s.shedReasons).length > 0) lines.push(`shed: ${Object.entries(s.shedReasons).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (Object.keys(s.errorReasons).length > 0) lines.push(`errors: ${Object.entries(s.errorReasons).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (report.gap.length > 0) {
    const rows = [['metric', 'measured', 'simulated', 'gap'], ...report.gap.map((g) => [g.label, value(g.unit, g.measured), value(g.unit, g.predicted), g.gap === null ? '—' : (g.gap >= 0 ? '+' : '') + value(g.unit, g.gap)])];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    lines.push('', ...rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')));
  } else if ('error' in report.prediction) {
    lines.push(`simulator: ${report.prediction.error}`);
  }
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
}

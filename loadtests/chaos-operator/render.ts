/**
 * The chaos report for people: a text table (printed and chaos.txt) and a page (chaos.html) with,
 * per case, PgBouncer's clients of the matcher's database over time against the budget line, the
 * pools the replica processes run, the fault and the recovery. Pure: results in, text out.
 */
import type { CaseResult } from './case-runner.js';

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);
const sec = (x: number | null) => (x === null ? 'not recovered' : `${x} s`);

export function renderTable(results: CaseResult[], budget: number): string {
  const header = ['case', `peak clients (budget ${budget})`, 'samples over budget', 'pools committed (peak)', 'recovery', 'load: worst 5 s / recovered', 'double writes', 'stray writes'];
  const rows = results.map((r) => {
    const c = r.connections;
    const firstOver = c.violations[0];
    return [
      r.name + (r.error ? ' (failed)' : ''),
      c.peak ? `${c.peak.clients} at ${c.peak.t.toFixed(1)} s` : '—',
      firstOver ? `${c.violations.length} (${c.secondsOverBudget} s, first at ${firstOver.t.toFixed(1)} s, max +${Math.max(...c.violations.map((v) => v.over))})` : '0',
      c.peakCommitted ? `${c.peakCommitted.pools} over ${c.peakCommitted.processes} processes` : '—',
      sec(r.recoverySeconds),
      `${pct(r.load.worstWindow?.successRate ?? null)} / ${r.load.recoverySeconds === null ? 'no' : `${r.load.recoverySeconds} s`}`,
      String(r.writes.doubleWrites.length + r.events.afterKill.length),
      String(r.writes.strayWrites.length),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)];
  for (const r of results) {
    const notes: string[] = [];
    if (r.error) notes.push(`failed: ${r.error}`);
    if (r.unsettled.length > 0) notes.push(`still unsettled: ${r.unsettled.join('; ')}`);
    const kills = r.details.kills as Array<{ takeoverSeconds: number | null; recoverySeconds: number | null; publishedBeforeKill: boolean }> | undefined;
    if (kills && kills.length > 0) {
      const takeovers = kills.map((k) => k.takeoverSeconds).filter((x): x is number => x !== null).sort((a, b) => a - b);
      const recoveries = kills.map((k) => k.recoverySeconds).filter((x): x is number => x !== null).sort((a, b) => a - b);
      const q = (xs: number[], p: number) => (xs.length === 0 ? '—' : `${xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]} s`);
      notes.push(`${kills.length} kills (${kills.filter((k) => k.publishedBeforeKill).length} after the leader's publication): takeover median ${q(takeovers, 0.5)}, max ${q(takeovers, 1)}; settled median ${q(recoveries, 0.5)}, max ${q(recoveries, 1)}; ${kills.length - takeovers.length} without takeover`);
    }
    if (typeof r.details.apiserverDownSeconds === 'number') notes.push(`apiserver down ${r.details.apiserverDownSeconds} s`);
    if (r.operatorExits.length > 0) notes.push(`operator exits: ${r.operatorExits.map((x) => `${x.identity} ${x.signal ?? `code ${x.code}`} at ${x.t} s`).join(', ')}`);
    if (r.writes.doubleWrites.length > 0) notes.push(`double writes: ${r.writes.doubleWrites.map((d) => `${d.identities.join(' + ')} in ${d.from.toFixed(1)}–${d.to.toFixed(1)} s`).join('; ')}`);
    if (r.events.afterKill.length > 0) notes.push(`Events by killed identities: ${r.events.afterKill.map((e) => `${e.reason} by ${e.reportingInstance} at ${e.t} s`).join('; ')}`);
    notes.push(`writes by identity: ${Object.entries(r.writes.byIdentity).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}; Events by instance: ${Object.entries(r.events.byInstance).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
    notes.push(`load: ${r.load.answers} answers, success ${pct(r.load.successRate)} (${pct(r.load.successRateAfterFault)} after the fault)`);
    out.push('', `${r.name} — ${r.title}:`, ...notes.map((n) => `  ${n}`));
  }
  return `${out.join('\n')}\n`;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** One case's chart: clients (solid), pools committed (dashed), replicas ×5 (dotted), the budget line, marks and the recovery. */
export function caseSvg(r: CaseResult, budget: number): string {
  const W = 900;
  const H = 260;
  const pad = { l: 44, r: 10, t: 12, b: 28 };
  const tMax = Math.max(1, r.endedAt);
  const yMax = Math.max(budget * 1.2, ...r.series.clients.map(([, v]) => v), ...r.series.committed.map(([, v]) => v)) || 1;
  const x = (t: number) => pad.l + (t / tMax) * (W - pad.l - pad.r);
  const y = (v: number) => H - pad.b - (v / yMax) * (H - pad.t - pad.b);
  const path = (pts: Array<[number, number]>) => pts.map(([t, v], i) => `${i === 0 ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join('');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<line x1="${pad.l}" y1="${y(0)}" x2="${W - pad.r}" y2="${y(0)}" stroke="#999"/>`,
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${y(0)}" stroke="#999"/>`,
  ];
  for (let v = 0; v <= yMax; v += 20) parts.push(`<text x="${pad.l - 4}" y="${y(v) + 4}" text-anchor="end" fill="#666">${v}</text>`);
  for (let t = 0; t <= tMax; t += Math.max(10, Math.ceil(tMax / 12 / 10) * 10)) parts.push(`<text x="${x(t)}" y="${H - 10}" text-anchor="middle" fill="#666">${t} s</text>`);
  parts.push(`<line x1="${pad.l}" y1="${y(budget)}" x2="${W - pad.r}" y2="${y(budget)}" stroke="#c00" stroke-dasharray="6 3"/><text x="${W - pad.r}" y="${y(budget) - 4}" text-anchor="end" fill="#c00">budget ${budget}</text>`);
  if (r.faultAt !== null && r.liftedAt !== null) parts.push(`<rect x="${x(r.faultAt)}" y="${pad.t}" width="${Math.max(1, x(r.liftedAt) - x(r.faultAt))}" height="${y(0) - pad.t}" fill="#f90" opacity="0.15"/>`);
  if (r.liftedAt !== null && r.recoverySeconds !== null) parts.push(`<line x1="${x(r.liftedAt + r.recoverySeconds)}" y1="${pad.t}" x2="${x(r.liftedAt + r.recoverySeconds)}" y2="${y(0)}" stroke="#090"/><text x="${x(r.liftedAt + r.recoverySeconds) + 3}" y="${pad.t + 10}" fill="#090">recovered</text>`);
  for (const m of r.marks) parts.push(`<line x1="${x(m.t)}" y1="${pad.t}" x2="${x(m.t)}" y2="${y(0)}" stroke="#f90" stroke-width="0.5"><title>${esc(m.label)} at ${m.t} s</title></line>`);
  parts.push(`<path d="${path(r.series.committed)}" fill="none" stroke="#888" stroke-dasharray="4 3"/>`);
  parts.push(`<path d="${path(r.series.replicas.map(([t, v]) => [t, v * 5] as [number, number]))}" fill="none" stroke="#36c" stroke-dasharray="1 2"/>`);
  parts.push(`<path d="${path(r.series.clients)}" fill="none" stroke="#000" stroke-width="1.2"/>`);
  for (const v of r.connections.violations) parts.push(`<circle cx="${x(v.t)}" cy="${y(v.clients)}" r="2" fill="#c00"><title>${v.clients} at ${v.t.toFixed(1)} s</title></circle>`);
  parts.push('</svg>');
  return parts.join('');
}

export function renderHtml(results: CaseResult[], budget: number, meta: { startedAt: string; options: object }): string {
  const cases = results.map((r) => `<h2>${esc(r.name)} — ${esc(r.title)}</h2>${caseSvg(r, budget)}`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>make chaos ${esc(meta.startedAt)}</title>
<style>body{font-family:sans-serif;margin:1.5em;max-width:960px}pre{font-size:12px;overflow-x:auto}</style></head><body>
<h1>Operator chaos, ${esc(meta.startedAt)}</h1>
<p>Per case: PgBouncer's clients of the matcher's database (black; red dots over the budget), the pools the replica processes run, Σ runtime.poolMax (grey dashed), replicas × 5 (blue dotted), the budget (red dashed), the fault (orange) and the recovery (green).</p>
<pre>${esc(renderTable(results, budget))}</pre>
${cases}
<details><summary>options</summary><pre>${esc(JSON.stringify(meta.options, null, 2))}</pre></details>
</body></html>
`;
}

/**
 * The chaos run's figures and the issue's bar (pure: the script hands in what it observed).
 * Bar: 0 matcher processes crashed; 0 accepted analyses lost (every 202 eventually answered);
 * 0 duplicate rows; at most 1.05 provider calls per analysis; no 502 from the load balancer.
 */
export interface Observed {
  crashed: number;
  accepted: string[];
  answered: string[];
  /** Every stored result: its id, its sets of interview questions, whether a provider answered it. */
  rows: { id: string; questionSets: number; providerAnswer: boolean }[];
  providerCalls: number;
  /** Responses seen by the users, by status (0: no response: connection refused or reset). */
  statuses: Record<string, number>;
  lbStats: unknown;
  phases: { name: string; ms: number }[];
}

export interface Figures {
  crashedProcesses: number;
  acceptedAnalyses: number;
  lostAnalyses: number;
  duplicateRows: number;
  providerAnswers: number;
  providerCalls: number;
  providerCallsPerAnalysis: number;
  loadBalancer502: number;
  noResponse: number;
  statuses: Record<string, number>;
  phases: { name: string; ms: number }[];
  lbStats: unknown;
  checks: { name: string; value: number; bar: string; pass: boolean }[];
  pass: boolean;
  table: string;
}

export function tally(o: Observed): Figures {
  const answered = new Set(o.answered);
  const lost = o.accepted.filter((id) => !answered.has(id)).length;
  const ids = new Map<string, number>();
  for (const r of o.rows) ids.set(r.id, (ids.get(r.id) ?? 0) + 1);
  // A duplicate: a second row for one result id, or a second set of interview questions for one result.
  const duplicateRows = [...ids.values()].reduce((n, c) => n + c - 1, 0) + o.rows.reduce((n, r) => n + Math.max(0, r.questionSets - 1), 0);
  const providerAnswers = o.rows.filter((r) => r.providerAnswer).length;
  const perAnalysis = providerAnswers === 0 ? 0 : Math.round((o.providerCalls / providerAnswers) * 1000) / 1000;
  const lb502 = o.statuses['502'] ?? 0;
  const checks = [
    { name: 'matcher processes crashed', value: o.crashed, bar: '0', pass: o.crashed === 0 },
    { name: 'accepted analyses lost', value: lost, bar: '0', pass: lost === 0 },
    { name: 'duplicate rows', value: duplicateRows, bar: '0', pass: duplicateRows === 0 },
    { name: 'provider calls per analysis', value: perAnalysis, bar: '≤ 1.05', pass: perAnalysis <= 1.05 },
    { name: '502 from the load balancer', value: lb502, bar: '0', pass: lb502 === 0 },
  ];
  const table = [
    `${'figure'.padEnd(32)} ${'value'.padStart(8)}  bar      verdict`,
    ...checks.map((c) => `${c.name.padEnd(32)} ${String(c.value).padStart(8)}  ${c.bar.padEnd(8)} ${c.pass ? 'ok' : 'FAIL'}`),
    '',
    `accepted (202) ${o.accepted.length}, provider answers ${providerAnswers}, provider calls ${o.providerCalls}, no response ${o.statuses['0'] ?? 0}`,
    `responses by status: ${Object.entries(o.statuses).sort().map(([s, n]) => `${s}: ${n}`).join(', ')}`,
    ...o.phases.map((p) => `phase: ${p.name} (${(p.ms / 1000).toFixed(1)} s)`),
  ].join('\n');
  return {
    crashedProcesses: o.crashed, acceptedAnalyses: o.accepted.length, lostAnalyses: lost, duplicateRows, providerAnswers,
    providerCalls: o.providerCalls, providerCallsPerAnalysis: perAnalysis, loadBalancer502: lb502, noResponse: o.statuses['0'] ?? 0,
    statuses: o.statuses, phases: o.phases, lbStats: o.lbStats, checks, pass: checks.every((c) => c.pass), table,
  };
}

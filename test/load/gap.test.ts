// Measured − predicted: the table a report ends with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeGap, integral, levelSeconds, meanFleetCpu, measuredForGap, peak, row } from '../../loadtests/load/gap.js';
import { joinGaps, regapTable } from '../../loadtests/load/regap.js';
import type { Series } from '../../loadtests/load/prometheus.js';

const series = (id: string, points: Array<[number, number]>): Series => ({ id, label: id, chart: 'replicas', source: 'prometheus', points });

test('a gap row: difference, relative difference, and null where a side is missing', () => {
  assert.deepEqual(row('x', 'x', 'ratio', 0.97, 0.99), { metric: 'x', label: 'x', unit: 'ratio', measured: 0.97, predicted: 0.99, gap: 0.97 - 0.99, relative: (0.97 - 0.99) / 0.99 });
  assert.equal(row('x', 'x', 's', 2, 0).relative, null, 'no relative gap against 0');
  assert.equal(row('x', 'x', 's', 2, 0).gap, 2);
  assert.equal(row('x', 'x', 's', null, 3).gap, null);
  assert.equal(row('x', 'x', 's', 3, undefined).gap, null);
});

test('peak, integral and seconds per level over the run only', () => {
  const s = series('r', [[-5, 9], [0, 2], [5, 4], [10, 3], [15, 9]]);
  assert.equal(peak(s, 15), 4);
  assert.equal(integral(s, 15, 5), 45);
  assert.equal(peak(series('r', []), 15), null);
  assert.deepEqual(levelSeconds(series('l', [[0, 0], [5, 0.4], [10, 2], [15, 3]]), 20, 5), { Full: 10, Reduced: 0, Basic: 5, Maintenance: 5 });
  assert.equal(levelSeconds(undefined, 20, 5), null);
});

const predicted = {
  summary: { successRate: 0.99, shedRate: 0.01, p95LatencySeconds: 0.2, analysisP95Seconds: 10, sloViolationSeconds: 5, peakReplicas: 6, replicaSeconds: 300, budgetViolations: 3 },
  meanOfferedRate: 40, peakPoolMax: 10, meanCpuPerReplica: 0.5, levelSeconds: { Full: 50, Reduced: 0, Basic: 10, Maintenance: 0 },
};
const measured = {
  durationSeconds: 60, stepSeconds: 5, successRateSimulatorDefinition: 0.95, successRateHttp: 0.98, shedRate: 0.02, p95LatencySeconds: 0.3,
  analysisP95Seconds: 12, sloViolationSeconds: 7, throughputPerSecond: 38, series: [] as Series[],
};

test('the operator\'s decided replicas are compared when present, else the replicas scraped', () => {
  const up = series('replicas-up', Array.from({ length: 12 }, (_, i) => [i * 5, 2] as [number, number]));
  const desired = series('replicas-desired', Array.from({ length: 12 }, (_, i) => [i * 5, i < 6 ? 2 : 5] as [number, number]));
  const withOperator = computeGap({ ...measured, series: [up, desired] }, predicted);
  const peakRow = withOperator.find((r) => r.metric === 'peakReplicas')!;
  assert.equal(peakRow.measured, 5);
  assert.equal(peakRow.gap, -1);
  assert.match(peakRow.note!, /plimsoll_desired_replicas/);
  assert.equal(withOperator.find((r) => r.metric === 'replicaSeconds')!.measured, 6 * 2 * 5 + 6 * 5 * 5);
  const without = computeGap({ ...measured, series: [up] }, predicted);
  assert.equal(without.find((r) => r.metric === 'peakReplicas')!.measured, 2);
  assert.match(without.find((r) => r.metric === 'peakReplicas')!.note!, /no operator metrics/);
  const none = computeGap(measured, predicted);
  assert.equal(none.find((r) => r.metric === 'peakReplicas')!.gap, null);
  assert.equal(none.find((r) => r.metric === 'secondsFull')!.measured, null);
});

test('every summary metric has its row, with the simulator-definition success rate first', () => {
  const rows = computeGap(measured, predicted);
  assert.equal(rows[0]!.metric, 'successRate');
  assert.ok(Math.abs(rows[0]!.gap! - -0.04) < 1e-12);
  const get = (m: string) => rows.find((r) => r.metric === m)!;
  assert.equal(get('successRateHttp').measured, 0.98);
  assert.ok(Math.abs(get('p95LatencySeconds').gap! - 0.1) < 1e-12);
  assert.equal(get('requestRate').gap, -2);
  assert.equal(get('sloViolationSeconds').gap, 2);
  assert.equal(get('secondsBasic').predicted, 10);
  assert.equal(get('meanCpuPerReplica').gap, null, 'no CPU series, no gap');
  const cpu: Series = { ...series('cpu', [[0, 0.1], [5, 0.3], [60, 9]]), chart: 'cpu' };
  const withCpu = computeGap({ ...measured, series: [cpu] }, predicted).find((r) => r.metric === 'meanCpuPerReplica')!;
  assert.ok(Math.abs(withCpu.measured! - 0.2) < 1e-12, 'the mean inside the run only');
  assert.ok(Math.abs(withCpu.gap! - -0.3) < 1e-12);
});

test('seconds over the connection budget: PgBouncer\'s measure against the simulator\'s budget violations, null when not sampled', () => {
  const sampled = computeGap({ ...measured, secondsOverBudget: 7 }, predicted).find((r) => r.metric === 'secondsOverBudget')!;
  assert.deepEqual([sampled.measured, sampled.predicted, sampled.gap], [7, 3, 4]);
  assert.match(sampled.note!, /maxConnections − reserved/);
  const notSampled = computeGap(measured, predicted).find((r) => r.metric === 'secondsOverBudget')!;
  assert.deepEqual([notSampled.measured, notSampled.gap], [null, null]);
  assert.match(notSampled.note!, /--pgbouncer none/);
});

test('the measured side from what a report keeps: the same rows whether built at the end of a run or again from report.json', () => {
  const summary = {
    durationSeconds: 60, successRateSimulatorDefinition: 0.95, successRate: 0.98, shedRate: 0.02, latencyMs: { p95: 300 },
    analyses: { timeToResultSeconds: { p95: 12 } }, sloViolationSeconds: 7, throughputPerSecond: 38,
  } as unknown as Parameters<typeof measuredForGap>[0];
  const m = measuredForGap(summary, 5, 4, []);
  assert.deepEqual(m, { ...measured, secondsOverBudget: 4 });
  assert.equal(measuredForGap({ ...summary, latencyMs: { p95: null } } as unknown as typeof summary, 5, null, []).p95LatencySeconds, null);
  // A report written to JSON and read back gives the same gap.
  const again = JSON.parse(JSON.stringify(summary)) as typeof summary;
  assert.deepEqual(computeGap(measuredForGap(again, 5, 4, []), predicted), computeGap(m, predicted));
});

test('regap: today\'s prediction beside the one the run was compared with, row by row', () => {
  const then = computeGap(measured, predicted);
  const now = computeGap(measured, { ...predicted, meanCpuPerReplica: 0.06, summary: { ...predicted.summary, peakReplicas: 4 } });
  const rows = joinGaps(then.filter((r) => r.metric !== 'shedRate'), now);
  const cpu = rows.find((r) => r.metric === 'meanCpuPerReplica')!;
  assert.deepEqual([cpu.simulatedThen, cpu.simulatedNow], [0.5, 0.06]);
  const replicas = rows.find((r) => r.metric === 'peakReplicas')!;
  assert.deepEqual([replicas.simulatedThen, replicas.simulatedNow], [6, 4]);
  assert.deepEqual([rows.find((r) => r.metric === 'shedRate')!.simulatedThen, rows.find((r) => r.metric === 'shedRate')!.gapThen], [null, null], 'a row the old report lacks');
  assert.equal(rows.length, now.length);
  const table = regapTable(rows);
  assert.match(table, /\| mean CPU per replica \| — \| 0\.500 \| — \| 0\.0600 \| — \|/);
  assert.match(table, /\| success rate \(simulator definition\) \| 0\.950 \| 0\.990 \| -0\.0400 \| 0\.990 \| -0\.0400 \|/);
});

test('the replicas\' CPU together: per replica × replicas up at the same step, so it holds whatever the replica counts', () => {
  const cpu: Series = { ...series('cpu', [[0, 0.05], [5, 0.06], [10, 0.04], [60, 9]]), chart: 'cpu' };
  const up = series('replicas-up', [[0, 2], [5, 4], [60, 9]]); // no sample at 10: that step is left out
  assert.ok(Math.abs(meanFleetCpu(cpu, up, 60)! - (0.1 + 0.24) / 2) < 1e-12);
  assert.equal(meanFleetCpu(cpu, undefined, 60), null);
  const rows = computeGap({ ...measured, series: [cpu, up] }, { ...predicted, meanCpuFleet: 0.2 });
  const fleet = rows.find((r) => r.metric === 'meanCpuFleet')!;
  assert.ok(Math.abs(fleet.gap! - -0.03) < 1e-12);
  assert.equal(computeGap(measured, predicted).find((r) => r.metric === 'meanCpuFleet')!.predicted, null, 'a prediction from before the row');
});

// The comparison's table and page: contenders side by side, Plimsoll ÷ KEDA where both ran, a
// figure a run could not measure shown as such (never as 0).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderCompareHtml, renderCompareTable, tableRows } from '../../../loadtests/compare/report.js';
import type { ContenderResult } from '../../../loadtests/compare/run.js';
import type { Scorecard } from '../../../loadtests/load/scorecard.js';

function result(name: 'plimsoll' | 'keda' | 'static', card: Partial<Scorecard>): ContenderResult {
  const scorecard = { loadSeconds: 100, successRatio: 0.99, aiAnswerRatio: 0.5, replicaSeconds: 200, providerUtilisationRatio: null, dbClientConnectionBudgetCount: 85, ...card } as Scorecard;
  const report = { timeline: { series: [{ id: 'replicas-up', points: [[0, 2], [50, 4]] }] }, warnings: name === 'keda' ? ['a <warning>'] : [] } as unknown as ContenderResult['report'];
  return { plan: { name, description: `${name} plan`, initialReplicas: 2, env: {} }, runDir: `/tmp/${name}`, scorecard, report };
}

test('the table has a column per contender and Plimsoll ÷ KEDA; an unmeasured figure is a dash', () => {
  const rows = tableRows([result('plimsoll', { aiAnswerRatio: 0.6 }), result('keda', { aiAnswerRatio: 0.4 })]);
  assert.deepEqual(rows[0], ['', 'plimsoll', 'keda', 'plimsoll ÷ keda']);
  const ai = rows.find((r) => r[0] === 'AI-answer share')!;
  assert.deepEqual(ai, ['AI-answer share', '60.0 %', '40.0 %', '1.50×']);
  const utilisation = rows.find((r) => r[0] === 'provider utilisation in overload')!;
  assert.deepEqual(utilisation.slice(1), ['—', '—', '—']);
});

test('without both Plimsoll and KEDA there is no ratio column; the page escapes what runs wrote', () => {
  const only = [result('keda', {}), result('static', {})];
  assert.deepEqual(tableRows(only)[0], ['', 'keda', 'static']);
  assert.match(renderCompareTable('peak', 0.125, only), /^make compare: peak at time scale 0.125\n/);
  const html = renderCompareHtml('peak', 0.125, only);
  assert.match(html, /<svg /);
  assert.match(html, /a &lt;warning&gt;/);
  assert.doesNotMatch(html, /a <warning>/);
});

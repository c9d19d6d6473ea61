// The HTML report in a real headless Chromium: every chart drawn, no JavaScript error, a
// screenshot that is a real picture of the page, and no way for report text to inject script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHtml } from '../../loadtests/load/report-html.js';
import { assertRenderedPage } from './support/page-checks.js';
import { syntheticReport } from './support/synthetic-report.js';

test('report.html renders every chart in headless Chromium, without errors, and screenshots non-blank', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'load-report-'));
  const report = await syntheticReport(dir);
  const page = join(dir, 'report.html');
  writeFileSync(page, renderHtml(report));
  const html = readFileSync(page, 'utf8');
  assert.doesNotMatch(html, /<(script|link|img|iframe)[^>]+(src|href)=["']?https?:/i, 'self-contained: nothing fetched from the network');
  const { dom, screenshotPath } = await assertRenderedPage(page, dir, report);
  assert.doesNotMatch(dom, /data-pwned/, 'report text cannot inject script');
  assert.match(dom, /a warning that tries to close the page: &lt;\/script&gt;/, 'the hostile text is shown as text');
  // The missing operator series is named with its query, not silently left out.
  assert.match(dom, /replicas decided \(operator\): no data: the series does not exist over the run — max\(plimsoll_desired_replicas/);
  // The connections against the budget: the table, the console without its password, the limit lines.
  assert.match(dom, /<td>peak clients of the database \(waiting for a server\)<\/td><td>90 of 85 \(4\)<\/td>/);
  assert.match(dom, /postgres:\/\/pgbouncer_admin:\*\*\*@127\.0\.0\.1:16432\/pgbouncer/);
  assert.doesNotMatch(html, /secret@/, 'no console password in the page');
  assert.match(dom, /<polyline[^>]+stroke-dasharray="8 3 2 3"[^>]+data-series="limit-max-client-conn"/);
  // The replicas' event-loop lag: the worst window overall, per replica and per level, and its chart.
  assert.match(dom, /<td>event-loop lag p99 of the replicas \(each scrape window\)<\/td><td>worst 42\.3 ms over 24 replica windows; by replica 10\.0\.0\.1:18080 42\.3 ms, 10\.0\.0\.2:18080 12 ms; by level Full 12 ms, Reduced 42\.3 ms<\/td>/);
  assert.match(dom, /<figure class="chart" data-chart="lag" data-rendered="true"/);
  t.diagnostic(`screenshot ${screenshotPath} (${statSync(screenshotPath).size} bytes)`);
});

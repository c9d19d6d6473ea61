/**
 * What "the report page rendered" means, checked in headless Chromium: the page's script marked
 * every chart rendered, charts with data hold SVG polylines with their points, no JavaScript
 * error was recorded, and the screenshot is a PNG of the requested size with real content.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadReport } from '../../../loadtests/load/report.js';
import { dumpDom, screenshot } from './chromium.js';
import { decodePng, inkStats } from './png.js';

export const SCREENSHOT = { width: 1280, height: 3600 };
/** The charts report-page.js draws (users, throughput, latency, sources, analyses, replicas, pool, connections, concurrency, level, queue, cache, cpu, memory, lag). */
const CHARTS = 15;

export async function assertRenderedPage(page: string, dir: string, report: LoadReport): Promise<{ dom: string; screenshotPath: string }> {
  const dom = await dumpDom(page);
  const body = /<body([^>]*)>/.exec(dom)?.[1] ?? '';
  const attr = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(body)?.[1];
  assert.equal(attr('data-js-errors'), '0', `JavaScript errors in the page: ${/<ul id="js-errors"[^>]*>([\s\S]*?)<\/ul>/.exec(dom)?.[1]}`);
  const charts = new Set(report.timeline.series.map((s) => s.chart));
  assert.equal(attr('data-charts-expected'), String(CHARTS));
  assert.equal(attr('data-charts-rendered'), String(CHARTS));
  const figures = [...dom.matchAll(/<figure class="chart" data-chart="([a-z]+)" data-rendered="([a-z]+)" data-points="(\d+)" data-series="(\d+)"/g)];
  assert.equal(figures.length, CHARTS, 'one figure per chart, each marked');
  for (const chart of charts) assert.ok(figures.some((f) => f[1] === chart), `a figure for the ${chart} series`);
  for (const [, chart, rendered, points, seriesCount] of figures) {
    assert.equal(rendered, 'true', `${chart} rendered`);
    // Points inside the run are drawn (Prometheus answers a little past its end).
    const inRun = (s: { points: Array<[number, number]> }) => s.points.filter(([t]) => t >= 0 && t <= report.scenario.durationSeconds).length;
    const expected = report.timeline.series.filter((s) => s.chart === chart && inRun(s) > 0);
    assert.equal(Number(seriesCount), expected.length, `${chart}: one line per series with data`);
    assert.equal(Number(points), expected.reduce((n, s) => n + inRun(s), 0), `${chart}: every point drawn`);
  }
  // The lines themselves: polylines carrying their data points, in the SVG.
  const polylines = [...dom.matchAll(/<polyline points="([^"]+)"[^>]*data-points="(\d+)"/g)];
  assert.ok(polylines.length >= CHARTS, `polylines drawn: ${polylines.length}`);
  for (const [, coords, n] of polylines) assert.equal(coords!.trim().split(/\s+/).length, Number(n));

  const screenshotPath = join(dir, 'report.png');
  await screenshot(page, screenshotPath, SCREENSHOT.width, SCREENSHOT.height);
  const png = decodePng(readFileSync(screenshotPath));
  assert.deepEqual([png.width, png.height], [SCREENSHOT.width, SCREENSHOT.height], 'the screenshot has the window size');
  const ink = inkStats(png);
  // A blank (or error) page is one or two colours; tables, text and coloured lines are many.
  assert.ok(ink.colours > 50, `colours in the screenshot: ${ink.colours}`);
  assert.ok(ink.inkShare > 0.03, `share of non-background pixels: ${ink.inkShare.toFixed(3)}`);
  return { dom, screenshotPath };
}

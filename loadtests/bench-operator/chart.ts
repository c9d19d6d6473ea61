/**
 * chart.svg: RSS, CPU and API requests per minute over the run, one panel each, every contender
 * on the same time axis (minutes since its phase began, so the phases overlay), with the
 * steady window shaded. Plain SVG, no script.
 */
import { coreIntervals } from './summary.js';
import { perMinuteSeries } from './figures.js';
import type { Sample } from './sampler.js';
import type { Window } from './summary.js';

export interface ChartPhase { contender: string; processes: string[]; samples: Sample[]; windows: Window[] }
interface Line { label: string; colour: string; points: Array<[number, number]> }

const WIDTH = 900;
const PANEL = 200;
const PAD = { left: 60, right: 160, top: 24, bottom: 28 };
const COLOURS: Record<string, string[]> = { plimsoll: ['#1f77b4', '#17becf'], keda: ['#d62728', '#ff9896'] };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function panel(title: string, unit: string, lines: Line[], maxX: number, y0: number, shade: Array<[number, number]>): string {
  const maxY = Math.max(1e-9, ...lines.flatMap((l) => l.points.map((p) => p[1]))) * 1.1;
  const w = WIDTH - PAD.left - PAD.right;
  const h = PANEL - PAD.top - PAD.bottom;
  const x = (v: number) => PAD.left + (v / Math.max(maxX, 1e-9)) * w;
  const y = (v: number) => y0 + PAD.top + h - (v / maxY) * h;
  const out = [`<text x="${PAD.left}" y="${y0 + 16}" font-weight="bold">${esc(title)} (${esc(unit)})</text>`];
  for (const [a, b] of shade) out.push(`<rect x="${x(a)}" y="${y0 + PAD.top}" width="${Math.max(0, x(b) - x(a))}" height="${h}" fill="#eee"/>`);
  out.push(`<line x1="${PAD.left}" y1="${y(0)}" x2="${PAD.left + w}" y2="${y(0)}" stroke="#999"/>`);
  for (const f of [0, 0.5, 1]) out.push(`<text x="${PAD.left - 6}" y="${y(maxY * f / 1.1) + 4}" text-anchor="end" font-size="11">${(maxY * f / 1.1).toPrecision(3)}</text>`);
  for (let m = 0; m <= maxX; m += Math.max(1, Math.ceil(maxX / 10))) out.push(`<text x="${x(m)}" y="${y0 + PANEL - 10}" text-anchor="middle" font-size="11">${m}</text>`);
  lines.forEach((l, i) => {
    if (l.points.length) out.push(`<polyline fill="none" stroke="${l.colour}" stroke-width="1.5" points="${l.points.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ')}"/>`);
    out.push(`<text x="${PAD.left + w + 10}" y="${y0 + PAD.top + 14 * (i + 1)}" font-size="12" fill="${l.colour}">${esc(l.label)}</text>`);
  });
  return out.join('\n');
}

export function renderChart(phases: ChartPhase[], ticksPerSecond: number): string {
  const rss: Line[] = [];
  const cpu: Line[] = [];
  const api: Line[] = [];
  const shade: Array<[number, number]> = [];
  let maxX = 0;
  for (const p of phases) {
    const t0 = p.samples[0]?.atMs ?? 0;
    const minutes = (ms: number) => (ms - t0) / 60_000;
    const [c1, c2] = COLOURS[p.contender] ?? ['#333', '#999'];
    maxX = Math.max(maxX, ...p.samples.map((s) => minutes(s.atMs)));
    const steady = p.windows.find((w) => w.name === 'steady');
    if (steady) shade.push([minutes(steady.fromMs), minutes(steady.toMs)]);
    const full = p.samples.filter((s) => p.processes.every((n) => s.processes[n]));
    rss.push({ label: `${p.contender} RSS`, colour: c1!, points: full.map((s) => [minutes(s.atMs), p.processes.reduce((t, n) => t + s.processes[n]!.rss, 0) / (1 << 20)]) });
    const cores = coreIntervals(full, p.processes, ticksPerSecond);
    cpu.push({ label: `${p.contender} CPU`, colour: c1!, points: cores.map((c, i) => [minutes(full[i + 1]!.atMs), c]) });
    for (const [key, colour] of [['api.read', c1!], ['api.write', c2!]] as const) {
      const series = perMinuteSeries(p.samples.flatMap((s) => (s.values[key] === undefined ? [] : [{ atMs: s.atMs, value: s.values[key]! }])));
      api.push({ label: `${p.contender} ${key === 'api.read' ? 'reads' : 'writes'}`, colour, points: series.map((s) => [minutes(s.atMs), s.value]) });
    }
  }
  const height = PANEL * 3 + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel('RSS', 'MB', rss, maxX, 0, shade),
    panel('CPU', 'cores, per 5 s', cpu, maxX, PANEL, shade),
    panel('API requests', 'per minute', api, maxX, PANEL * 2, shade),
    `<text x="${PAD.left}" y="${height - 6}" font-size="11">minutes since the phase began; shaded: steady state</text>`,
    '</svg>',
  ].join('\n');
}

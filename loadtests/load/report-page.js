/* global document, window */
// Draws the load report's charts from the JSON embedded in the page (no network, no library).
// It marks every chart it rendered (data-rendered, data-points) and records any JavaScript error
// in the page itself (body[data-js-errors], #js-errors), so a headless browser test can check
// that the charts really rendered.
(function () {
  'use strict';
  var body = document.body;
  var errors = [];
  function recordError(message) {
    errors.push(String(message));
    body.setAttribute('data-js-errors', String(errors.length));
    var list = document.getElementById('js-errors');
    if (list) {
      list.hidden = false;
      var item = document.createElement('li');
      item.textContent = String(message);
      list.appendChild(item);
    }
  }
  window.addEventListener('error', function (event) { recordError(event.message || 'script error'); });
  body.setAttribute('data-js-errors', '0');

  var SVG = 'http://www.w3.org/2000/svg';
  var PALETTE = ['#1f6feb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2', '#be185d', '#4b5563', '#65a30d', '#ea580c'];
  // Limits (the connection budget) are drawn dash-dotted in reds, apart from the data's colours.
  var LIMIT_COLOURS = ['#cf222e', '#9a6700', '#8250df'];
  var SOURCE_SUFFIX = { prometheus: ' · Prometheus', simulator: '', measured: ' · load generator', pgbouncer: ' · PgBouncer', limit: '' };
  var CHARTS = [
    { id: 'users', title: 'Users', unit: 'active closed-loop users' },
    { id: 'throughput', title: 'Throughput and outcomes', unit: 'per second' },
    { id: 'latency', title: 'Latency', unit: 'milliseconds' },
    { id: 'sources', title: 'Who answered the analyses', unit: 'share of the analyses settled in each step (load generator)' },
    { id: 'analyses', title: 'Analyses the matcher answered, by source', unit: 'per second (matcher_analyses_total)' },
    { id: 'replicas', title: 'Replicas', unit: 'replicas' },
    { id: 'pool', title: 'Database pool', unit: 'connections' },
    { id: 'connections', title: 'Database connections against the budget', unit: 'connections (PgBouncer\'s admin console; dash-dotted: limits)' },
    { id: 'concurrency', title: 'Provider concurrency', unit: 'workers per replica' },
    { id: 'level', title: 'Service level', unit: '', ticks: ['Full', 'Reduced', 'Basic', 'Maintenance'] },
    { id: 'queue', title: 'Queue depth', unit: 'analyses waiting' },
    { id: 'cache', title: 'Cache hit ratio and breakers', unit: 'ratio / breaker state' },
    { id: 'cpu', title: 'CPU', unit: 'cores per replica (one Node.js process uses at most one)' },
    { id: 'memory', title: 'Memory', unit: 'MB' },
    { id: 'lag', title: 'Event-loop lag', unit: 'ms, p99 of each replica since its previous scrape' },
  ];

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    for (var key in attrs) node.setAttribute(key, String(attrs[key]));
    if (parent) parent.appendChild(node);
    return node;
  }

  // A "nice" tick step (1, 2, 2.5 or 5 × 10^k) giving about four intervals up to the maximum.
  function niceStep(max) {
    if (!(max > 0)) return 0.25;
    var raw = max / 4;
    var exp = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * exp >= raw) return steps[i] * exp;
    return 10 * exp;
  }

  function fmt(v) {
    if (Math.abs(v) >= 1000) return (v / 1000).toFixed(v % 1000 === 0 ? 0 : 1) + 'k';
    if (Number.isInteger(v)) return String(v);
    return v.toFixed(Math.abs(v) >= 1 ? 1 : 2);
  }

  function drawChart(figure, chart, series, report) {
    var width = 560, height = 220, left = 74, right = 12, top = 12, bottom = 30;
    var plotW = width - left - right, plotH = height - top - bottom;
    var duration = report.scenario.durationSeconds;
    // Only what falls inside the run: Prometheus answers a little past its end.
    series = series.map(function (s) {
      return Object.assign({}, s, { points: s.points.filter(function (p) { return p[0] >= 0 && p[0] <= duration; }) });
    });
    var withData = series.filter(function (s) { return s.points.length > 0; });
    var yMax = chart.ticks ? chart.ticks.length - 1 : 0;
    withData.forEach(function (s) { s.points.forEach(function (p) { if (p[1] > yMax) yMax = p[1]; }); });
    var step = chart.ticks ? 1 : niceStep(yMax);
    yMax = chart.ticks ? chart.ticks.length - 1 : Math.max(step, Math.ceil(yMax / step - 1e-9) * step);
    var x = function (t) { return left + (Math.max(0, Math.min(duration, t)) / duration) * plotW; };
    var y = function (v) { return top + plotH - (v / yMax) * plotH; };

    var svg = el('svg', { viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': chart.title, class: 'chart-svg' });
    // Fault windows and phase boundaries, under the data.
    (report.faults || []).forEach(function (f) {
      if (f.status === 'skipped') return;
      el('rect', { x: x(f.at), y: top, width: Math.max(1, x(f.at + f.durationSeconds) - x(f.at)), height: plotH, class: 'fault' }, svg);
    });
    report.scenario.phases.forEach(function (p) {
      if (p.start > 0) el('line', { x1: x(p.start), x2: x(p.start), y1: top, y2: top + plotH, class: 'phase' }, svg);
    });
    // Axes and grid.
    var yTicks = [];
    for (var v = 0; v <= yMax + 1e-9; v += step) yTicks.push(v);
    yTicks.forEach(function (v) {
      v = Math.round(v * 1e6) / 1e6;
      el('line', { x1: left, x2: left + plotW, y1: y(v), y2: y(v), class: 'grid' }, svg);
      var label = el('text', { x: left - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, svg);
      label.textContent = chart.ticks ? chart.ticks[v] : fmt(v);
    });
    // Time ticks on round values: about five over the run.
    var spans = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
    var span = spans[spans.length - 1];
    for (var k = 0; k < spans.length; k++) if (duration / spans[k] <= 6) { span = spans[k]; break; }
    for (var t = 0; t <= duration + 1e-9; t += span) {
      var tl = el('text', { x: x(t), y: height - 10, class: 'tick', 'text-anchor': 'middle' }, svg);
      tl.textContent = span >= 60 ? t / 60 + ' min' : t + ' s';
    }
    el('rect', { x: left, y: top, width: plotW, height: plotH, class: 'frame' }, svg);

    var points = 0;
    var limits = 0;
    var data = 0;
    var legend = document.createElement('ul');
    legend.className = 'legend';
    series.forEach(function (s) {
      var limit = s.source === 'limit';
      var color = limit ? LIMIT_COLOURS[limits++ % LIMIT_COLOURS.length] : PALETTE[data++ % PALETTE.length];
      var item = document.createElement('li');
      if (s.points.length === 0) {
        item.className = 'missing';
        item.textContent = s.label + ': ' + (s.missing || 'no data') + (s.query ? ' — ' + s.query : '');
        legend.appendChild(item);
        return;
      }
      var coords = s.points.map(function (p) { return x(p[0]).toFixed(1) + ',' + y(Math.min(p[1], yMax)).toFixed(1); }).join(' ');
      el('polyline', {
        points: coords, fill: 'none', stroke: color, 'stroke-width': s.dashed ? 1.6 : limit ? 1.4 : 1.8,
        'stroke-dasharray': s.dashed ? '5 3' : limit ? '8 3 2 3' : 'none', 'data-series': s.id, 'data-points': s.points.length, class: 'series ' + s.source,
      }, svg);
      points += s.points.length;
      var swatch = document.createElement('span');
      swatch.className = 'swatch' + (s.dashed ? ' dashed' : limit ? ' limit' : '');
      swatch.style.borderColor = color;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(s.label + (SOURCE_SUFFIX[s.source] || '')));
      if (s.query) item.title = s.query;
      legend.appendChild(item);
    });
    if (series.length === 0) {
      var none = document.createElement('li');
      none.className = 'missing';
      none.textContent = 'no series for this chart in this report';
      legend.appendChild(none);
    }
    figure.querySelector('.plot').appendChild(svg);
    figure.appendChild(legend);
    figure.setAttribute('data-rendered', 'true');
    figure.setAttribute('data-points', String(points));
    figure.setAttribute('data-series', String(withData.length));
    return points;
  }

  var report;
  try {
    report = JSON.parse(document.getElementById('report-data').textContent);
  } catch (error) {
    recordError('report data unreadable: ' + error.message);
    return;
  }
  var grid = document.getElementById('charts');
  var rendered = 0;
  body.setAttribute('data-charts-expected', String(CHARTS.length));
  CHARTS.forEach(function (chart) {
    var figure = document.createElement('figure');
    figure.className = 'chart';
    figure.setAttribute('data-chart', chart.id);
    figure.setAttribute('data-rendered', 'false');
    var caption = document.createElement('figcaption');
    caption.innerHTML = '<strong></strong> <span class="unit"></span>';
    caption.querySelector('strong').textContent = chart.title;
    caption.querySelector('.unit').textContent = chart.unit;
    figure.appendChild(caption);
    var plot = document.createElement('div');
    plot.className = 'plot';
    figure.appendChild(plot);
    grid.appendChild(figure);
    try {
      var series = report.timeline.series.filter(function (s) { return s.chart === chart.id; });
      drawChart(figure, chart, series, report);
      rendered++;
    } catch (error) {
      recordError(chart.id + ': ' + (error && error.message ? error.message : error));
    }
  });
  body.setAttribute('data-charts-rendered', String(rendered));
})();

// The benchmark's "writes by cause" (loadtests/bench-operator/write-diff.ts, report.ts): every
// steady-state write must say what it changed, so the diff and its grouping are checked on
// hand-made versions of a policy's status.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { causeOf, diffLeaves, onlyTimes, writesByCause, type WriteRecord } from '../../../loadtests/bench-operator/write-diff.js';
import { windowWrites, writesLines } from '../../../loadtests/bench-operator/report.js';
import { prometheusConfig } from '../../../loadtests/bench-operator/private-prometheus.js';
import { parseOptions } from '../../../loadtests/bench-operator/options.js';

const fresh = {
  conditions: [
    { type: 'Ready', status: 'True', reason: 'Reconciled', lastTransitionTime: '2026-12-02T10:00:00Z' },
    { type: 'SignalsHealthy', status: 'True', reason: 'AllFresh', message: '2 signals fresh', lastTransitionTime: '2026-12-02T10:00:00Z' },
  ],
  signals: [
    { name: 'load', state: 'Fresh', value: 20, consecutiveFailures: 0 },
    { name: 'latency', state: 'Fresh', value: 0.5, consecutiveFailures: 0 },
  ],
};
const stale = {
  // The conditions in another order: matched by type, not position.
  conditions: [
    { type: 'SignalsHealthy', status: 'False', reason: 'SignalsStale', message: 'stale (last value used): latency', lastTransitionTime: '2026-12-02T10:05:00Z' },
    { type: 'Ready', status: 'True', reason: 'Reconciled', lastTransitionTime: '2026-12-02T10:00:00Z' },
  ],
  signals: [
    { name: 'load', state: 'Fresh', value: 20, consecutiveFailures: 0 },
    { name: 'latency', state: 'Stale', value: 0.5, consecutiveFailures: 1, lastError: 'timeout after 5 s' },
  ],
};

describe('bench-operator: what a write changed', () => {
  it('diffs leaves, matching array elements by their type or name', () => {
    assert.deepEqual(diffLeaves({ status: fresh }, { status: stale }), [
      { path: 'status.conditions[SignalsHealthy].lastTransitionTime', before: '2026-12-02T10:00:00Z', after: '2026-12-02T10:05:00Z' },
      { path: 'status.conditions[SignalsHealthy].message', before: '2 signals fresh', after: 'stale (last value used): latency' },
      { path: 'status.conditions[SignalsHealthy].reason', before: 'AllFresh', after: 'SignalsStale' },
      { path: 'status.conditions[SignalsHealthy].status', before: 'True', after: 'False' },
      { path: 'status.signals[latency].consecutiveFailures', before: 0, after: 1 },
      { path: 'status.signals[latency].lastError', before: undefined, after: 'timeout after 5 s' },
      { path: 'status.signals[latency].state', before: 'Fresh', after: 'Stale' },
    ]);
    assert.deepEqual(diffLeaves({ a: { x: 1, y: 2 } }, { a: { y: 2, x: 1 } }), [], 'key order is no change');
    assert.deepEqual(diffLeaves({ r: [{ time: 't1', replicas: 2 }] }, { r: [{ time: 't1', replicas: 2 }, { time: 't2', replicas: 2 }] }),
      [{ path: 'r[1]', before: undefined, after: { time: 't2', replicas: 2 } }], 'unkeyed arrays by index; a new element is one change');
  });

  it('names the cause with the values that say what happened, not the ones that only move', () => {
    const record: WriteRecord = { atMs: 1, kind: 'ScalingPolicy', name: 'p-001', verb: 'modified', changes: diffLeaves({ status: fresh }, { status: stale }) };
    assert.equal(causeOf(record),
      'ScalingPolicy: status.conditions[SignalsHealthy]{lastTransitionTime, message, reason AllFresh→SignalsStale, status True→False}; '
      + 'status.signals[latency]{consecutiveFailures, lastError added, state Fresh→Stale}');
    assert.equal(onlyTimes(record), false);
    const clock: WriteRecord = { atMs: 2, kind: 'ScalingPolicy', name: 'p-002', verb: 'modified', changes: [{ path: 'status.memory.providers[groq].adaptedAt', before: '2026-12-02T10:00:00Z', after: '2026-12-02T10:00:15Z' }] };
    assert.equal(causeOf(clock), 'ScalingPolicy: status.memory.providers[groq]{adaptedAt}');
    assert.equal(onlyTimes(clock), true, 'a write that moved only a clock is flagged');
    assert.equal(causeOf({ kind: 'Event ScaledUp (plimsoll.dev/operator)', verb: 'created', changes: [] }), 'Event ScaledUp (plimsoll.dev/operator) created');
  });

  it('groups a window\'s writes by cause, most frequent first, counting objects', () => {
    const at = (atMs: number, name: string, from: object, to: object): WriteRecord => ({ atMs, kind: 'ScalingPolicy', name, verb: 'modified', changes: diffLeaves({ status: from }, { status: to }) });
    const records = [at(10, 'p-001', fresh, stale), at(20, 'p-001', stale, fresh), at(30, 'p-002', fresh, stale), at(99, 'p-003', fresh, stale)];
    const rows = writesByCause(records, 0, 50);
    assert.deepEqual(rows.map((r) => [r.count, r.objects, r.example.name]), [[2, 2, 'p-001'], [1, 1, 'p-001']]);
    assert.match(rows[1]!.cause, /state Stale→Fresh/);
  });

  it('reports counted against seen writes, and says so when the contender wrote what changed nothing', () => {
    const samples = [0, 60_000].map((atMs, i) => ({ atMs, processes: {}, values: { 'api.write': 10 + 3 * i } }));
    const records: WriteRecord[] = [
      { atMs: 30_000, kind: 'ScalingPolicy', name: 'p-007', verb: 'modified', changes: [{ path: 'status.signals[load].state', before: 'Fresh', after: 'Stale' }] },
      { atMs: 31_000, kind: 'Deployment replicas (HPA controller)', name: 'app-007', verb: 'modified', changes: [{ path: 'replicas', before: 2, after: 5 }], byOthers: true },
    ];
    const w = windowWrites(samples, records, { name: 'steady', fromMs: 0, toMs: 60_000 });
    assert.deepEqual([w.counted, w.seen, w.seenByOthers, w.byCause.length, w.records.length], [3, 1, 1, 2, 2]);
    const text = writesLines(w, 'plimsoll-bench').join('\n');
    assert.match(text, /2 counted but not seen/);
    assert.match(text, /and 1 by others/);
    assert.match(text, /replicas \(HPA controller\): replicas {3}\[not the contender's\]/);
    assert.match(text, /p-007 modified: status\.signals\[load\]\.state: Fresh → Stale/);
  });
});

describe('bench-operator: its own Prometheus', () => {
  it('scrapes only the exporter, as job bench, at the interval asked', () => {
    const config = prometheusConfig('127.0.0.1:4242', 5);
    assert.match(config, /scrape_interval: 5s/);
    assert.match(config, /job_name: bench\n\s+static_configs:\n\s+- targets: \['127\.0\.0\.1:4242'\]/);
    assert.equal(config.match(/job_name/g)?.length, 1);
  });

  it('takes its port and scrape interval from the command line', () => {
    const o = parseOptions(['--prometheus-port', '19191', '--scrape-seconds', '10']);
    assert.deepEqual([o.prometheusPort, o.scrapeSeconds], [19191, 10]);
    assert.deepEqual([parseOptions([]).prometheusPort, parseOptions([]).scrapeSeconds], [0, 5]);
  });
});

// make chaos's figures (loadtests/chaos-operator/report.ts): what counts as over the budget, as
// recovered and as a double write, from samples the way the case runner takes them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseOperatorMetrics } from '../../../loadtests/chaos-operator/operator-fleet.js';
import { connectionFigures, eventFigures, loadFigures, recoverySeconds, writeFigures } from '../../../loadtests/chaos-operator/report.js';

const sample = (t: number, clients: number, servers = 0) => ({ t, clients, clientsWaiting: 0, servers, clientsAll: clients + 1 });

describe('connection figures', () => {
  it('peak, every sample over the budget with its time and excess, seconds over at the interval', () => {
    const f = connectionFigures({
      samples: [sample(0, 40, 10), sample(0.2, 85, 12), sample(0.4, 90, 20), sample(0.6, 86), sample(0.8, 60)],
      failedSamples: 1, budget: 85, intervalSeconds: 0.2,
      committed: [{ t: 0, pools: 56, processes: 8 }, { t: 1, pools: 104, processes: 8 }, { t: 2, pools: 62, processes: 2 }],
    });
    assert.deepEqual(f.peak, { clients: 90, t: 0.4 });
    assert.equal(f.peakServers, 20);
    // At the budget is within it; only above counts.
    assert.deepEqual(f.violations, [{ t: 0.4, clients: 90, over: 5 }, { t: 0.6, clients: 86, over: 1 }]);
    assert.equal(f.secondsOverBudget, 0.4);
    assert.deepEqual(f.peakCommitted, { t: 1, pools: 104, processes: 8 });
    assert.equal(f.failedSamples, 1);
  });

  it('no samples: no peak, no violation', () => {
    const f = connectionFigures({ samples: [], failedSamples: 3, budget: 85, intervalSeconds: 0.2 });
    assert.equal(f.peak, null);
    assert.deepEqual(f.violations, []);
    assert.equal(f.peakCommitted, null);
  });
});

describe('recovery', () => {
  const checks = (pairs: Array<[number, boolean]>) => pairs.map(([t, settled]) => ({ t, settled }));

  it('from the fault to the first settled check that holds for the hold time', () => {
    // Settled at 12 but unsettled again at 13 (a flap): recovery is at 14, held to 19.
    const c = checks([[9, true], [10, false], [12, true], [13, false], [14, true], [16, true], [19, true]]);
    assert.equal(recoverySeconds(c, 10, 5), 4);
  });

  it('settled before the fault does not count; never held long enough is null', () => {
    assert.equal(recoverySeconds(checks([[0, true], [5, true], [10, false], [11, true], [12, true]]), 10, 5), null);
    assert.equal(recoverySeconds(checks([[10, true], [15, true]]), 10, 5), 0);
  });
});

describe('the load around the fault', () => {
  const answers = (spec: Array<[number, number, number]>) => spec.flatMap(([from, ok, bad]) => [
    ...Array.from({ length: ok }, (_, i) => ({ t: from + i / (ok + bad), ok: true })),
    ...Array.from({ length: bad }, (_, i) => ({ t: from + (ok + i) / (ok + bad), ok: false })),
  ]);

  it('recovered at the end of the last window below the threshold; the worst window named', () => {
    // Windows of 5 s from the fault at 10: [10,15) 50 %, [15,20) 90 %, [20,25) 100 %, [25,30) 100 %.
    const f = loadFigures(answers([[0, 10, 0], [10, 5, 5], [15, 9, 1], [20, 10, 0], [25, 10, 0]]), 10, 30, 5, 0.95);
    assert.equal(f.recoverySeconds, 10);
    assert.deepEqual(f.worstWindow, { t: 0, successRate: 0.5 });
    assert.equal(f.answers, 50);
    assert.equal(f.successRateAfterFault, 34 / 40);
  });

  it('never below: 0; below in the last window: not recovered', () => {
    assert.equal(loadFigures(answers([[10, 10, 0], [15, 10, 0]]), 10, 20, 5, 0.95).recoverySeconds, 0);
    assert.equal(loadFigures(answers([[10, 10, 0], [15, 1, 9]]), 10, 20, 5, 0.95).recoverySeconds, null);
  });
});

describe('double writes', () => {
  it('a round in which two identities wrote is a double write; a non-leader writing is a stray write', () => {
    const f = writeFigures([
      { t: 0, processes: { a: { leader: true, writes: 10 }, b: { leader: false, writes: 0 } } },
      { t: 0.5, processes: { a: { leader: true, writes: 12 }, b: { leader: false, writes: 0 } } },
      // a keeps writing while b, which never led, writes too.
      { t: 1, processes: { a: { leader: true, writes: 13 }, b: { leader: false, writes: 2 } } },
      // a is gone (killed); b leads and writes: a hand-over, not a double write.
      { t: 1.5, processes: { b: { leader: true, writes: 5 } } },
      // c appears with writes of its own already: counted from its first scrape on.
      { t: 2, processes: { b: { leader: true, writes: 5 }, c: { leader: false, writes: 7 } } },
    ]);
    assert.deepEqual(f.byIdentity, { a: 3, b: 5 });
    assert.deepEqual(f.doubleWrites, [{ from: 0.5, to: 1, identities: ['a', 'b'] }]);
    assert.deepEqual(f.strayWrites, [{ from: 0.5, to: 1, identity: 'b', writes: 2 }]);
  });

  it('Events of a killed identity after its kill are listed', () => {
    const f = eventFigures([
      { t: 1, reason: 'ScaledUp', reportingInstance: 'a' },
      { t: 5, reason: 'PoolResized', reportingInstance: 'a' },
      { t: 6, reason: 'ScaledDown', reportingInstance: 'b' },
    ], [{ identity: 'a', t: 3 }]);
    assert.deepEqual(f.byInstance, { a: 2, b: 1 });
    assert.deepEqual(f.afterKill, [{ t: 5, reason: 'PoolResized', reportingInstance: 'a' }]);
  });

  it("reads an operator's leader flag and its writes other than the Lease's", () => {
    const text = [
      '# HELP plimsoll_leader 1 while this replica holds the leader Lease.',
      // The registry's default label comes along (service="plimsoll-operator").
      'plimsoll_leader{service="plimsoll-operator"} 1',
      'plimsoll_api_writes_total{kind="lease",service="plimsoll-operator"} 40',
      'plimsoll_api_writes_total{kind="status",service="plimsoll-operator"} 3',
      'plimsoll_api_writes_total{service="plimsoll-operator",kind="scale"} 2',
    ].join('\n');
    assert.deepEqual(parseOperatorMetrics(text), { leader: true, writes: 5 });
    assert.deepEqual(parseOperatorMetrics('plimsoll_leader 0\n'), { leader: false, writes: 0 });
  });
});

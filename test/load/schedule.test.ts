// The scenario → closed-loop user schedule, and time scaling, against the simulator's own files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { arrivalsFor } from '../../src/plimsoll/simulator/run.js';
import { loadScenario, scenarioDuration, scenarioSchema } from '../../src/plimsoll/simulator/scenario.js';
import { resolveScenarioPath, scaleScenario, scenarioYaml } from '../../loadtests/load/scenario-scale.js';
import { offeredRate, phaseAt, userSchedule, usersAt } from '../../loadtests/load/schedule.js';

const scenario = (load: unknown, events: unknown[] = []) => scenarioSchema.parse({ name: 't', load, events });

test('a ramp goes from → to across the phase, as the simulator interpolates it, in whole users', () => {
  const s = userSchedule(scenario({ thinkTimeSeconds: 2, phases: [{ durationSeconds: 3, users: 4 }, { name: 'ramp', durationSeconds: 11, users: { from: 10, to: 20 } }] }));
  assert.deepEqual(s.users, [4, 4, 4, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
  assert.equal(s.maxUsers, 20);
  assert.equal(s.durationSeconds, 14);
  assert.deepEqual(s.phases, [{ name: 'phase 1', start: 0, end: 3 }, { name: 'ramp', start: 3, end: 14 }]);
  assert.equal(phaseAt(s, 5)?.name, 'ramp');
  assert.equal(usersAt(s, 2.9), 4);
  assert.equal(usersAt(s, 99), 20, 'clamped to the last second');
  assert.equal(offeredRate(s, 13), 10, 'users / think time');
});

test('an open-loop phase is driven as rate × think time users, and says so', () => {
  const s = userSchedule(scenario({ thinkTimeSeconds: 2, phases: [{ name: 'open', durationSeconds: 2, arrivalRate: 15 }] }));
  assert.deepEqual(s.users, [30, 30]);
  assert.match(s.notes[0]!, /arrivalRate 15→15 req\/s; driven as 30→30 closed-loop users/);
});

test('the schedule offers on average what the simulator\'s arrivals assume (same load shape)', async () => {
  for (const name of ['burst', 'sustained', 'peak']) {
    const { scenario: s } = await loadScenario(resolveScenarioPath(name));
    const schedule = userSchedule(s);
    const offered = schedule.users.reduce((a, u) => a + u, 0) / s.load.thinkTimeSeconds / schedule.durationSeconds;
    const arrivals = arrivalsFor(s, s.seed);
    const simulated = arrivals.reduce((a, b) => a + b, 0) / arrivals.length;
    assert.equal(schedule.durationSeconds, scenarioDuration(s));
    assert.ok(Math.abs(offered - simulated) / simulated < 0.02, `${name}: offered ${offered.toFixed(2)} vs simulated ${simulated.toFixed(2)} req/s`);
  }
});

test('time scale compresses phases and events, keeps think time and the load level, and stays a valid scenario', async () => {
  const { scenario: burst, policyPath } = await loadScenario(resolveScenarioPath('burst'));
  const scaled = scaleScenario(burst, 0.25);
  assert.deepEqual(scaled.load.phases.map((p) => p.durationSeconds), [75, 75, 300, 150]);
  assert.equal(scenarioDuration(scaled), scenarioDuration(burst) / 4);
  assert.equal(scaled.load.thinkTimeSeconds, burst.load.thinkTimeSeconds);
  assert.equal(userSchedule(scaled).maxUsers, userSchedule(burst).maxUsers);

  const { scenario: outage } = await loadScenario(resolveScenarioPath('provider-outage'));
  const o = scaleScenario(outage, 0.25);
  assert.deepEqual(o.events.map((e) => [e.at, e.durationSeconds]), [[150, 150], [225, 75]]);

  // Written out and read back by the simulator's loader: the file `plimsoll simulate` would run.
  const dir = mkdtempSync(join(tmpdir(), 'load-scale-'));
  const file = join(dir, 'scenario.scaled.yaml');
  writeFileSync(file, scenarioYaml(o, policyPath));
  const back = await loadScenario(file);
  assert.deepEqual(back.scenario.load, o.load);
  assert.deepEqual(back.scenario.events, o.events);
  assert.equal(back.policyPath, resolve('examples/matcher.yaml'));
});

test('scaling never pushes an event past the end or to zero length', () => {
  const s = scenario({ phases: [{ durationSeconds: 10, users: 1 }] }, [{ type: 'providerOutage', provider: 'groq', at: 9, durationSeconds: 1 }]);
  const scaled = scaleScenario(s, 0.01);
  assert.equal(scenarioDuration(scaled), 1);
  assert.deepEqual(scaled.events.map((e) => [e.at, e.durationSeconds]), [[0, 1]]);
  assert.throws(() => scaleScenario(s, 0), /--time-scale must be a positive number/);
  assert.throws(() => resolveScenarioPath('no-such-scenario'), /scenario no-such-scenario: no file .*loadtests\/scenarios\/no-such-scenario\.yaml/);
});

import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { parseScalingPolicy } from '../../../src/plimsoll/api/validate.js';
import { readSingleDocument } from '../../../src/plimsoll/shared/files.js';
import { isPlimsollError } from '../../../src/plimsoll/errors.js';
import { simulate } from '../../../src/plimsoll/simulator/run.js';
import { loadScenario, scenarioSchema } from '../../../src/plimsoll/simulator/scenario.js';

const scenarios = new URL('../../../loadtests/scenarios/', import.meta.url);

async function load(name: string) {
  const { scenario, policyPath } = await loadScenario(new URL(`${name}.yaml`, scenarios).pathname);
  const policy = parseScalingPolicy(await readSingleDocument(policyPath, 'policy'));
  return { scenario, spec: policy.spec };
}

test('every shipped scenario exists and parses: burst, sustained, peak and the three faults', async () => {
  const files = (await readdir(scenarios)).filter((f) => f.endsWith('.yaml')).sort();
  assert.deepEqual(files, ['burst.yaml', 'db-slowdown.yaml', 'peak.yaml', 'prometheus-outage.yaml', 'provider-outage.yaml', 'sustained.yaml']);
});

test('a run is deterministic for a seed, and the seed matters', async () => {
  const { scenario, spec } = await load('burst');
  const a = simulate(spec, scenario, { seed: 7 });
  const b = simulate(spec, scenario, { seed: 7 });
  const c = simulate(spec, scenario, { seed: 8 });
  assert.deepEqual(a.controllers, b.controllers);
  assert.notDeepEqual(a.arrivals, c.arrivals);
});

// The goals the issue sets for the shipped scenarios, held as regression checks on the model's
// deterministic output (replica-seconds are reported, not asserted: see docs/policy.md).
for (const name of ['burst', 'sustained', 'peak', 'provider-outage', 'db-slowdown', 'prometheus-outage']) {
  test(`${name}: Plimsoll keeps ≥ 99 % success, never breaks the budget, and beats the HPA on SLO seconds`, async () => {
    const { scenario, spec } = await load(name);
    const { controllers } = simulate(spec, scenario);
    const plimsoll = controllers.plimsoll!;
    assert.ok(plimsoll.successRate >= 0.99, `success ${plimsoll.successRate}`);
    assert.equal(plimsoll.budgetViolations, 0);
    assert.ok(plimsoll.sloViolationSeconds < controllers.hpa!.sloViolationSeconds, `${plimsoll.sloViolationSeconds} vs hpa ${controllers.hpa!.sloViolationSeconds}`);
  });
}

test('the HPA baseline with a fixed pool of 25 breaks the budget once it passes 3 replicas', async () => {
  const { scenario, spec } = await load('peak');
  const { controllers, timelines } = simulate(spec, scenario);
  assert.ok(controllers.hpa!.budgetViolations > 0);
  const over = timelines.hpa!.find((t) => t.poolTotal > 85)!;
  assert.ok(over.replicas >= 4);
});

test('scenario validation names the field', () => {
  const bad = scenarioSchema.safeParse({ name: 'x', load: { phases: [{ durationSeconds: 10, users: 5, arrivalRate: 3 }] }, events: [{ type: 'meteor', at: 1 }] });
  assert.equal(bad.success, false);
  const paths = bad.error!.issues.map((i) => i.path.join('.'));
  assert.ok(paths.includes('load.phases.0'), paths.join(', '));
  assert.ok(paths.some((p) => p.startsWith('events.0')), paths.join(', '));
});

test('an event after the end of the load is refused with its index', async () => {
  const { writeFile, mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(`${tmpdir()}/plimsoll-`);
  await writeFile(`${dir}/late.yaml`, 'name: late\nload:\n  phases: [{ durationSeconds: 60, users: 5 }]\nevents:\n  - { type: databaseSlowdown, factor: 2, at: 90, durationSeconds: 10 }\n');
  await assert.rejects(loadScenario(`${dir}/late.yaml`), (e) => isPlimsollError(e) && e.code === 'SCENARIO_INVALID' && e.problems[0]!.path === 'events[0].at');
});

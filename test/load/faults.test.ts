// Faults: which events are applied and how, against a real fake provider (its admin API).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeProviderServer } from '../../src/matcher/dev/fake-provider-server.js';
import { scenarioSchema } from '../../src/plimsoll/simulator/scenario.js';
import { FaultInjector, planFaults } from '../../loadtests/load/faults.js';

const events = scenarioSchema.parse({
  name: 'f', load: { phases: [{ durationSeconds: 100, users: 1 }] },
  events: [
    { type: 'providerOutage', provider: 'openai', at: 10, durationSeconds: 20 },
    { type: 'providerBrownout', provider: 'openai', at: 20, durationSeconds: 30, latencyFactor: 3, errorRatio: 0.25 },
    { type: 'providerOutage', provider: 'mistral', at: 5, durationSeconds: 5 },
    { type: 'databaseSlowdown', factor: 40, at: 5, durationSeconds: 5 },
    { type: 'signalOutage', source: 'prometheus', at: 5, durationSeconds: 5 },
  ],
}).events;

test('the plan: provider faults with an admin URL are applied; the rest are skipped with a reason', () => {
  const plan = planFaults(events, { openai: 'http://x' });
  assert.deepEqual(plan.map((f) => [f.type, f.subject, f.status]), [
    ['providerOutage', 'openai', 'pending'], ['providerBrownout', 'openai', 'pending'], ['providerOutage', 'mistral', 'skipped'],
    ['databaseSlowdown', '×40', 'skipped'], ['signalOutage', 'prometheus', 'skipped'],
  ]);
  assert.deepEqual(plan[1]!.settings, { mode: 'brownout', brownoutLatencyFactor: 3, brownoutErrorRate: 0.25 });
  assert.match(plan[2]!.reason!, /--provider mistral=/);
  assert.match(plan[3]!.reason!, /not applied/);
});

test('applied on time, overlapping events hand over, and the provider ends as it started', async (t) => {
  const fake = new FakeProviderServer({ name: 'openai', mode: 'normal', brownoutLatencyFactor: 8, brownoutErrorRate: 0.5 });
  const url = await fake.listen();
  t.after(() => fake.close());
  const lines: string[] = [];
  const injector = new FaultInjector(planFaults(events.slice(0, 2), { openai: url }), { openai: url }, (l) => lines.push(l));
  await injector.tick(5);
  assert.equal(fake.settings.mode, 'normal');
  await injector.tick(10);
  assert.equal(fake.settings.mode, 'outage');
  await injector.tick(20);
  assert.equal(fake.settings.mode, 'brownout');
  assert.equal(fake.settings.brownoutLatencyFactor, 3);
  await injector.tick(30);
  assert.equal(fake.settings.mode, 'brownout', 'the outage ended while the brownout still runs: the brownout stays');
  await injector.tick(50);
  assert.equal(fake.settings.mode, 'normal');
  assert.deepEqual([fake.settings.brownoutLatencyFactor, fake.settings.brownoutErrorRate], [8, 0.5], 'the original brownout settings are back');
  assert.deepEqual(injector.faults.map((f) => [f.status, f.appliedAt, f.restoredAt]), [['restored', 10, 30], ['restored', 20, 50]]);
  assert.equal(lines.length, 4);
});

test('restoreAll (Ctrl-C, failure) puts back a provider left in an outage', async (t) => {
  const fake = new FakeProviderServer({ name: 'openai' });
  const url = await fake.listen();
  t.after(() => fake.close());
  const injector = new FaultInjector(planFaults(events.slice(0, 1), { openai: url }), { openai: url }, () => undefined);
  await injector.tick(12);
  assert.equal(fake.settings.mode, 'outage');
  await injector.restoreAll(13);
  assert.equal(fake.settings.mode, 'normal');
  assert.equal(injector.faults[0]!.status, 'restored');
  assert.equal(injector.faults[0]!.restoredAt, 13);
});

test('a provider that does not answer: the event is marked failed with the reason, not dropped', async () => {
  const dead = 'http://127.0.0.1:9';
  const injector = new FaultInjector(planFaults(events.slice(0, 1), { openai: dead }), { openai: dead }, () => undefined);
  await injector.tick(10);
  assert.equal(injector.faults[0]!.status, 'failed');
  assert.match(injector.faults[0]!.reason!, /could not apply/);
});

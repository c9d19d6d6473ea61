// database.healthy of /health/details (src/matcher/db/database-health.ts): an error says down at
// once; timeouts say down only after the grace with nothing succeeding; any query's success resets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatabaseHealth } from '../../../src/matcher/db/database-health.js';

function tracker() {
  let now = 0;
  const health = new DatabaseHealth(10_000, () => now);
  return { health, at: (ms: number) => { now = ms; } };
}

test('a ping that fails with an error is unhealthy at once, until something succeeds', () => {
  const { health } = tracker();
  assert.equal(health.healthy(), true, 'nothing known yet: no reason to stop the fleet');
  health.pingFailed(false);
  assert.equal(health.healthy(), false);
  health.pingFailed(true);
  assert.equal(health.healthy(), false, 'a timeout after an error does not clear it');
  health.succeeded();
  assert.equal(health.healthy(), true);
});

test('pings that time out are slow, not down, for the grace; then down', () => {
  const { health, at } = tracker();
  at(1_000);
  health.pingFailed(true);
  at(9_000);
  health.pingFailed(true);
  assert.equal(health.healthy(), true, '8 s of timeouts: within the 10 s grace');
  at(11_000);
  assert.equal(health.healthy(), false, '10 s of timeouts and nothing succeeded: a hung database');
  health.succeeded();
  assert.equal(health.healthy(), true);
});

test('a query of the replica\'s own traffic that succeeds resets the run of timeouts (observing())', () => {
  const { health, at } = tracker();
  const seen: Array<[string, boolean]> = [];
  const observer = health.observing({ observe: (op, _s, ok) => seen.push([op, ok]) });
  at(0);
  health.pingFailed(true);
  at(8_000);
  observer.observe('resumes.list', 0.9, true);
  at(15_000);
  health.pingFailed(true);
  assert.equal(health.healthy(), true, 'the run began again at 15 s');
  observer.observe('resumes.list', 0.9, false);
  at(26_000);
  assert.equal(health.healthy(), false, 'a failed query is no success');
  assert.deepEqual(seen, [['resumes.list', true], ['resumes.list', false]], 'the metrics still see every query');
});

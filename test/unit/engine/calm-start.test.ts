// A calm start: missing data never degrades service. With the example policy and nothing read
// yet (no replica scraped, no health answered), the level is Full; a signal read before and
// missing now (its source failed) still fires a `whenMissing: Fire` trigger, one with nothing
// to read (no ready endpoint) does not.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { parseScalingPolicy } from '../../../src/plimsoll/api/validate.js';
import { decide } from '../../../src/plimsoll/engine/decide.js';
import { emptyMemory, type SignalObservation } from '../../../src/plimsoll/engine/types.js';

const example = parseScalingPolicy(parse(readFileSync(new URL('../../../examples/matcher.yaml', import.meta.url), 'utf8'))).spec;
const T0 = 1_000_000;

test('the example policy at a cold start, with no signal read yet, stays at Full', () => {
  const d = decide({ spec: example, observations: { currentReplicas: 2, signals: {} }, memory: emptyMemory(T0), now: T0 });
  assert.equal(d.serviceLevel.value, 'Full', d.serviceLevel.message);
});

test('an idle stack (providers never called, empty queue) stays at Full', () => {
  const read = (value: number): SignalObservation => ({ value, readAt: T0, consecutiveFailures: 0 });
  const signals = {
    'request-rate': read(0), 'cpu-utilization': read(0.01), 'queue-waiting': read(0), 'healthy-providers': read(3),
    'heap-used-bytes': read(80e6), 'database-healthy': read(1), 'pgbouncer-waiting': read(0), 'pgbouncer-max-wait': read(0),
  };
  const d = decide({ spec: example, observations: { currentReplicas: 2, signals }, memory: emptyMemory(T0), now: T0 });
  assert.equal(d.serviceLevel.value, 'Full', d.serviceLevel.message);
});

test('a long queue alone does not stop healthy providers (admission handles it), no healthy provider does', () => {
  const read = (value: number): SignalObservation => ({ value, readAt: T0, consecutiveFailures: 0 });
  const base = { 'healthy-providers': read(3), 'database-healthy': read(1), 'heap-used-bytes': read(80e6) };
  const long = decide({ spec: example, observations: { currentReplicas: 2, signals: { ...base, 'queue-waiting': read(5000) } }, memory: emptyMemory(T0), now: T0 });
  assert.equal(long.serviceLevel.value, 'Full');
  const none = decide({ spec: example, observations: { currentReplicas: 2, signals: { ...base, 'healthy-providers': read(0) } }, memory: emptyMemory(T0), now: T0 });
  assert.equal(none.serviceLevel.value, 'Basic');
});

test('database-healthy read before and failing now (every replica timed out) still enters Maintenance', () => {
  const lost: SignalObservation = { value: 1, readAt: T0 - 15_000, consecutiveFailures: 4, lastError: 'SIGNAL_TIMEOUT: health …: no answer within 2 s' };
  const d = decide({ spec: example, observations: { currentReplicas: 2, signals: { 'database-healthy': lost } }, memory: emptyMemory(T0), now: T0 });
  assert.equal(d.serviceLevel.value, 'Maintenance', d.serviceLevel.message);
});

test('database-healthy with no ready endpoint to read (a restart, a rollout) does not degrade, nor relax a level in force', () => {
  // Readiness says whether a replica can serve, not whether the database is up (the matcher
  // stays ready and reports database.healthy 0): no ready endpoint says nothing about the database.
  const gone: SignalObservation = { value: 1, readAt: T0 - 15_000, consecutiveFailures: 4, lastError: 'SIGNAL_NO_ENDPOINTS: health: the target has no ready endpoint to read', nothingToRead: true };
  const calm = decide({ spec: example, observations: { currentReplicas: 2, signals: { 'database-healthy': gone } }, memory: emptyMemory(T0), now: T0 });
  assert.equal(calm.serviceLevel.value, 'Full', calm.serviceLevel.message);
  const down: SignalObservation = { value: 0, readAt: T0, consecutiveFailures: 0 };
  const entered = decide({ spec: example, observations: { currentReplicas: 2, signals: { 'database-healthy': down } }, memory: emptyMemory(T0), now: T0 });
  assert.equal(entered.serviceLevel.value, 'Maintenance');
  const later = T0 + 10 * 60_000;
  const held = decide({ spec: example, observations: { currentReplicas: 2, signals: { 'database-healthy': { ...gone, readAt: T0 } } }, memory: entered.memory, now: later });
  assert.equal(held.serviceLevel.value, 'Maintenance', 'a Fire trigger does not clear while its signal is missing');
});

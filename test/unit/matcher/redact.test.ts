import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REDACTED, redactFreeText } from '../../../src/matcher/http/redact.js';

test('health answers without their free text: every error string redacted, numbers, flags and the shape kept', () => {
  const details = {
    database: { healthy: false, pingMs: 1000.2, error: 'cannot connect to the database: database "orders" is disabled' },
    memory: { heapUsedBytes: 123 },
    runtimeGeneration: 7,
    runtime: { generation: 7, lastError: 'redis: connect ECONNREFUSED 10.1.2.3:6379', ignoredStale: 0 },
    checks: [{ ok: false, error: 'x' }],
    redis: { status: 'ready', ok: true },
  };
  const redacted = redactFreeText(details);
  assert.deepEqual(redacted, {
    database: { healthy: false, pingMs: 1000.2, error: REDACTED },
    memory: { heapUsedBytes: 123 },
    runtimeGeneration: 7,
    runtime: { generation: 7, lastError: REDACTED, ignoredStale: 0 },
    checks: [{ ok: false, error: REDACTED }],
    redis: { status: 'ready', ok: true },
  });
  assert.equal(details.database.error.startsWith('cannot'), true, 'the original is left alone');
  assert.deepEqual(redactFreeText({ runtime: { lastError: null } }), { runtime: { lastError: null } }, 'no error: nothing to redact');
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withDirectClient } from '../../src/matcher/db/migrations.js';
import { REDACTED } from '../../src/matcher/http/redact.js';
import { api, PGBOUNCER_ADMIN_URL, startTestMatcher, type TestMatcher } from '../support/matcher.js';

/**
 * Issue 16, nothing leaks: with the database unreachable, /health/details and /readyz tell an
 * unauthenticated caller that it is (database.healthy, the numbers the operator's health signal
 * reads) but not the error text, which names hosts and databases; an API key holder reads it.
 * The fault is this test's own database refused by the tests' PgBouncer (:16433).
 */
let t: TestMatcher;
const admin = (command: string) => withDirectClient(PGBOUNCER_ADMIN_URL, (c) => c.query(command));
before(async () => { t = await startTestMatcher({ tenants: 1 }); });
after(async () => { await t?.close(); });

describe('health answers with the database unreachable', () => {
  it('give an unauthenticated caller the flags and numbers, not the error text; an API key holder gets the text', async () => {
    const key = t.tenants[0]!.key;
    // The key is verified (and cached, as every key the API has seen in the last 30 s) while the database answers.
    const healthy = await api(t.url, 'GET', '/health/details', { key });
    assert.equal(healthy.body.database.healthy, true);
    assert.ok(!('error' in healthy.body.database));

    await admin(`DISABLE ${t.db.name}`);
    await admin(`KILL ${t.db.name}`);
    await admin(`RESUME ${t.db.name}`);
    try {
      const open = await api(t.url, 'GET', '/health/details');
      assert.equal(open.status, 200);
      assert.equal(open.body.database.healthy, false, 'the state is public');
      assert.equal(typeof open.body.database.pingMs, 'number');
      assert.equal(typeof open.body.memory.heapUsedBytes, 'number', 'the fields the health signal reads stay');
      assert.ok('runtimeGeneration' in open.body && 'runtime' in open.body, 'so does the acknowledgement');
      assert.equal(open.body.database.error, REDACTED, 'the error text is not');
      assert.ok(!JSON.stringify(open.body).includes(t.db.name), 'nothing names the database');

      const ready = await api(t.url, 'GET', '/readyz');
      assert.equal(ready.body.checks.database.ok, false);
      assert.equal(ready.body.checks.database.error, REDACTED);
      assert.equal((await api(t.url, 'GET', '/health/details', { key: 'pk_wrong_0123456789abcdef0123456789abcdef' })).body.database.error, REDACTED, 'a wrong key reads what no key reads');

      const authenticated = await api(t.url, 'GET', '/health/details', { key });
      assert.equal(authenticated.body.database.healthy, false);
      assert.equal(typeof authenticated.body.database.error, 'string');
      assert.notEqual(authenticated.body.database.error, REDACTED, 'an API key holder reads the cause');
      assert.ok(authenticated.body.database.error.length > 0);
    } finally {
      await admin(`ENABLE ${t.db.name}`);
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { api, startTestMatcher } from '../support/matcher.js';
import { createPair, providerHarness } from '../support/providers.js';

describe('matcher protection', () => {
  it('refuses new analyses with 429 QUEUE_FULL when the queues are too deep, counted by reason', async () => {
    const h = await providerHarness([{ name: 'stuck', concurrency: 0 }], { MATCHER_QUEUE_MAX_WAITING: '3' });
    try {
      const m = await h.start();
      const key = h.tenant.key;
      for (let i = 0; i < 3; i++) assert.equal((await api(m.url, 'POST', '/v1/analyses', { key, body: await createPair(m.url, key) })).status, 202);
      await m.queues!.refreshCounts();
      const refused = await api(m.url, 'POST', '/v1/analyses', { key, body: await createPair(m.url, key) });
      assert.equal(refused.status, 429);
      assert.equal(refused.body.error.code, 'QUEUE_FULL');
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      assert.equal((await api(m.url, 'GET', '/v1/resumes', { key })).status, 200, 'reads still served');
      const details = await api(m.url, 'GET', '/health/details');
      assert.equal(details.body.queues.stuck.counts.waiting, 3);
      assert.match(details.body.queues.stuck.admission, /refusing \(queue_depth\)/);
      assert.equal(details.body.queues.stuck.paused, true);
      assert.match(await (await fetch(`${m.url}/metrics`)).text(), /matcher_admission_rejections_total\{reason="queue_depth"\} 1/);
    } finally {
      await h.close();
    }
  });

  it('limits each tenant\'s request rate through Redis (429 TENANT_RATE_LIMITED with Retry-After)', async () => {
    const t = await startTestMatcher({ tenants: 2, env: { MATCHER_TENANT_RATE_LIMIT: '5', MATCHER_TENANT_RATE_WINDOW_MS: '60000', MATCHER_QUEUE_PREFIX: `rl-${Date.now()}` } });
    try {
      const statuses = [];
      for (let i = 0; i < 7; i++) statuses.push((await api(t.url, 'GET', '/v1/resumes', { key: t.tenants[0]!.key })).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
      const r = await api(t.url, 'GET', '/v1/resumes', { key: t.tenants[0]!.key });
      assert.equal(r.body.error.code, 'TENANT_RATE_LIMITED');
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
      assert.equal((await api(t.url, 'GET', '/v1/resumes', { key: t.tenants[1]!.key })).status, 200, 'another tenant is not limited');
      assert.match(await (await fetch(`${t.url}/metrics`)).text(), /matcher_admission_rejections_total\{reason="tenant_rate"\} 3/);
    } finally {
      await t.close();
    }
  });

  it('refuses work with 503 OVERLOADED above the heap limit, while health endpoints answer', async () => {
    const t = await startTestMatcher({ tenants: 1, env: { MATCHER_ADMISSION_HEAP_MB: '16' } });
    try {
      const r = await api(t.url, 'GET', '/v1/resumes', { key: t.tenants[0]!.key });
      assert.equal(r.status, 503);
      assert.equal(r.body.error.code, 'OVERLOADED');
      assert.equal(r.headers.get('retry-after'), '1');
      assert.equal((await api(t.url, 'GET', '/healthz')).status, 200);
      const d = await api(t.url, 'GET', '/health/details');
      assert.equal(d.body.admission.refusing, 'heap');
      assert.match(await (await fetch(`${t.url}/metrics`)).text(), /matcher_admission_rejections_total\{reason="heap"\} 1/);
    } finally {
      await t.close();
    }
  });
});

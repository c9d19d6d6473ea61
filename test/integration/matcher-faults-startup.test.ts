import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { api } from '../support/matcher.js';
import { createPair, providerHarness } from '../support/providers.js';

/**
 * Issue 14 in the matcher: a new replica opens no database connection (its pool at the policy's
 * pool.min, its workers idle) before it has applied a runtime document; when none can be read it
 * runs pool.min (MATCHER_DB_POOL_MIN).
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a replica before its runtime document', () => {
  it('runs pool.min when its document cannot be read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plimsoll-startup-'));
    const h = await providerHarness([{ name: 'alpha', accuracy: 0.9 }]);
    try {
      const m = await h.start({ MATCHER_RUNTIME_FILE: join(dir, 'missing.json'), MATCHER_DB_POOL_MIN: '3', MATCHER_DB_POOL_MAX: '8' });
      assert.equal(m.pool.max, 3);
      assert.equal(m.runtime.status().generation, null);
      // Without a runtime channel the replica is not governed: its configured pool.
      const ungoverned = await h.start({ MATCHER_DB_POOL_MIN: '3', MATCHER_DB_POOL_MAX: '8' });
      assert.equal(ungoverned.pool.max, 8);
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts no worker before the document: jobs already waiting wait for what the document says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plimsoll-startup-'));
    const file = join(dir, 'runtime.json');
    const h = await providerHarness([{ name: 'alpha', accuracy: 0.9, concurrency: 0 }]);
    try {
      const first = await h.start();
      const key = h.tenant.key;
      const accepted = await api(first.url, 'POST', '/v1/analyses', { key, body: await createPair(first.url, key) });
      assert.equal(accepted.status, 202);
      await first.shutdown('replaced');
      // The document pauses alpha on every replica and sizes the pool at 5.
      writeFileSync(file, JSON.stringify({ policy: 'm', generation: 1, issuedAt: new Date().toISOString(), serviceLevel: 'Full', replicas: 4,
        db: { poolMax: 5 }, queues: { alpha: { concurrency: 0 } } }));
      const providers = (JSON.parse(h.providersEnv) as Record<string, unknown>[]).map((p) => ({ ...p, concurrency: 4 }));
      const next = await h.start({ MATCHER_RUNTIME_FILE: file, MATCHER_PROVIDERS: JSON.stringify(providers), MATCHER_DB_POOL_MAX: '20' });
      await sleep(1500);
      assert.equal(h.fakes.get('alpha')!.stats.requests, 0, 'no job ran before the document paused the worker');
      assert.equal(next.pool.max, 5);
      assert.equal(next.runtime.queues!.state('alpha')!.concurrency, 0);
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

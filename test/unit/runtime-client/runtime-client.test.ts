// The runtime client over a real file source and a real (unconnected) pool: generation order,
// the last good document kept through broken and missing ones, the pool's ceiling reported, and
// health and metric in the contract's shape.
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { runtimeHealthSchema } from '../../../src/plimsoll/contract/health.js';
import { createLogger } from '../../../src/plimsoll/observability/logger.js';
import { FileRuntimeSource, ResizablePool, RuntimeClient } from '../../../src/plimsoll/runtime-client/index.js';

const dir = mkdtempSync(join(tmpdir(), 'plimsoll-client-'));
const file = join(dir, 'runtime.json');
const logger = createLogger({ name: 'client-test', level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const registry = new Registry();
// Nothing connects until a query: resize() and max are pure bookkeeping.
const pool = new ResizablePool({ connectionString: 'postgres://nobody@127.0.0.1:1/none', max: 3, hardMax: 10 });
const client = new RuntimeClient({ source: new FileRuntimeSource(file, 50), pool, registry, logger, metricPrefix: 'unit' });

function write(value: unknown): void {
  writeFileSync(`${file}.tmp`, typeof value === 'string' ? value : JSON.stringify(value));
  renameSync(`${file}.tmp`, file);
}
const doc = (generation: number, serviceLevel: string, poolMax?: number) =>
  ({ policy: 'p', generation, issuedAt: '2026-01-01T00:00:00Z', serviceLevel, replicas: 2, ...(poolMax ? { db: { poolMax } } : {}), queues: {} });
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not in time: ${JSON.stringify(client.status())}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

before(async () => {
  write(doc(1, 'Reduced', 4));
  await client.start();
});
after(async () => {
  await client.stop();
  await pool.end();
  rmSync(dir, { recursive: true, force: true });
});

describe('runtime client', () => {
  it('applies the document at start and reports it in the contract\'s shape', async () => {
    const health = runtimeHealthSchema.parse(client.health());
    assert.equal(health.runtimeGeneration, 1);
    assert.deepEqual([health.runtime.poolMax, health.runtime.source, health.runtime.lastError], [4, `file:${file}`, null]);
    assert.equal(client.levels.current(), 'Reduced');
    assert.match(await registry.metrics(), /^unit_runtime_generation 1$/m);
  });

  it('runs the pool\'s ceiling when a document asks for more, and says so', async () => {
    write(doc(2, 'Full', 25));
    await until(() => client.status().generation === 2);
    assert.equal(pool.max, 10);
    assert.equal(client.health().runtime.poolMax, 10);
  });

  it('keeps the last good document through a broken, an invalid, a stale and a missing one', async () => {
    write('{"generation": 3');
    await until(() => /not JSON/.test(client.status().lastError ?? ''));
    write(doc(3, 'Turbo', 5));
    await until(() => /serviceLevel/.test(client.status().lastError ?? ''));
    write(doc(1, 'Basic', 5));
    // fs.watch may deliver one write twice: each delivery of a stale document is counted.
    await until(() => client.status().ignoredStale >= 1);
    rmSync(file);
    await until(() => /ENOENT/.test(client.status().lastError ?? ''));
    assert.deepEqual([client.status().generation, client.levels.current(), pool.max], [2, 'Full', 10]);
  });

  it('a document without db leaves the pool alone', async () => {
    write(doc(4, 'Basic'));
    await until(() => client.status().generation === 4);
    assert.deepEqual([client.status().lastError, client.levels.current(), pool.max], [null, 'Basic', 10]);
  });
});

describe('queue admission (maxWaiting)', () => {
  it('admits without limit until a document sets one, then below it', async () => {
    const { QueueKnobs } = await import('../../../src/plimsoll/runtime-client/queues.js');
    const knobs = new QueueKnobs({ info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as never);
    const worker = { concurrency: 1, isRunning: () => true, resume: () => undefined, pause: async () => undefined } as never;
    knobs.add('groq', { queue: { setGlobalRateLimit: async () => undefined } as never, worker });
    assert.equal(knobs.admits('groq', 10_000), true, 'no document: no limit');
    await knobs.apply({ groq: { concurrency: 1, maxWaiting: 24 } });
    assert.equal(knobs.admits('groq', 23), true);
    assert.equal(knobs.admits('groq', 24), false);
    assert.equal(knobs.state('groq')?.maxWaiting, 24);
    await knobs.apply({ groq: { concurrency: 1 } });
    assert.equal(knobs.admits('groq', 24), false, 'a document without maxWaiting keeps the last one');
    assert.equal(knobs.admits('unknown', 0), true);
  });
});

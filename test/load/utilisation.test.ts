// Provider utilisation: ok answers against what the rate limits allow, while demand exceeded them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeProviderServer } from '../../src/matcher/dev/fake-provider-server.js';
import { ProviderSampler, readingFrom } from '../../loadtests/load/provider-sampler.js';
import { providerUtilisation, type ProviderReading, type ProviderSample } from '../../loadtests/load/utilisation.js';

/** groq: 60 per minute (1/s); openai: unlimited. Samples every 10 s. */
const groq = (ok: number, rateLimited = 0): ProviderReading => ({ ok, rateLimited, rateLimit: 60, rateWindowMs: 60_000 });
const openai = (ok: number): ProviderReading => ({ ok, rateLimited: 0, rateLimit: 0, rateWindowMs: 60_000 });
const sample = (t: number, providers: ProviderSample['providers']): ProviderSample => ({ t, providers });
const quiet = { queueWaiting: [] as Array<[number, number]>, localAnswersAt: [] as number[] };

test('no overload: answers are counted, utilisation is null, not 0', () => {
  const u = providerUtilisation([sample(0, { groq: groq(0), openai: openai(0) }), sample(10, { groq: groq(3), openai: openai(5) }), sample(20, { groq: groq(4), openai: openai(9) })], {
    queueWaiting: [[0, 0], [5, 0], [10, 0], [15, 0]], localAnswersAt: [],
  });
  assert.equal(u.providerUtilisation, null);
  assert.equal(u.overloadSeconds, 0);
  assert.equal(u.sampledSeconds, 20);
  assert.deepEqual([u.providers.groq!.ok, u.providers.openai!.ok, u.rateLimited], [4, 9, 0]);
  assert.equal(u.providers.groq!.utilisation, null);
});

test('overloaded intervals: ok ÷ what the limits allow there, unlimited providers left out', () => {
  const samples = [
    sample(0, { groq: groq(0), openai: openai(0) }),
    sample(10, { groq: groq(2), openai: openai(1) }), // quiet
    sample(20, { groq: groq(8, 4), openai: openai(6) }), // 429s: overloaded, 6 of 10 allowed
    sample(30, { groq: groq(12, 4), openai: openai(6) }), // a queued analysis waiting: 4 of 10
    sample(40, { groq: groq(13, 4), openai: openai(7) }), // a local answer: 1 of 10
    sample(50, { groq: groq(13, 4), openai: openai(7) }), // quiet again
  ];
  const u = providerUtilisation(samples, { queueWaiting: [[20, 0], [25, 3], [45, 0]], localAnswersAt: [33] });
  assert.equal(u.overloadSeconds, 30);
  assert.deepEqual(u.overloadBy, { rateLimited: 10, queueWaiting: 10, localAnswers: 10 });
  assert.equal(u.providers.groq!.okWhileOverloaded, 11);
  assert.equal(u.providers.groq!.allowedWhileOverloaded, 30);
  assert.equal(u.providerUtilisation, 11 / 30);
  assert.equal(u.providers.openai!.allowedWhileOverloaded, null, 'no limit: nothing to use up');
  assert.equal(u.providers.openai!.okWhileOverloaded, 6);
  assert.deepEqual([u.providers.groq!.ok, u.providers.groq!.rateLimited, u.rateLimited], [13, 4, 4]);
});

test('a missing reading drops only that provider\'s intervals; a reset counter starts again', () => {
  const samples = [
    sample(0, { groq: groq(100, 50) }),
    sample(10, { groq: null }),
    sample(20, { groq: groq(110, 51) }),
    sample(30, { groq: groq(5, 2) }), // the provider restarted: 5 since
  ];
  const u = providerUtilisation(samples, { queueWaiting: [[25, 1]], localAnswersAt: [] });
  assert.equal(u.failedSamples, 1);
  assert.equal(u.providers.groq!.failedSamples, 1);
  assert.deepEqual([u.providers.groq!.ok, u.providers.groq!.rateLimited], [5, 2], 'the intervals around the failed reading are not counted');
  assert.equal(u.overloadSeconds, 10);
  assert.equal(u.providerUtilisation, 5 / 10);
});

test('no samples, or one: nothing measured', () => {
  for (const samples of [[], [sample(0, { groq: groq(0) })]]) {
    const u = providerUtilisation(samples, quiet);
    assert.deepEqual([u.providerUtilisation, u.overloadSeconds, u.sampledSeconds, u.rateLimited], [null, 0, 0, 0]);
  }
});

test('the sampler reads a real fake provider\'s stats and limit; an unreachable one is missing, not fatal', async (t) => {
  const fake = new FakeProviderServer({ name: 'groq', rateLimit: 30, rateWindowMs: 60_000 });
  const admin = await fake.listen(0);
  t.after(() => fake.close());
  fake.stats.ok = 7;
  fake.stats.rateLimited = 2;
  const sampler = new ProviderSampler({ groq: admin, gone: 'http://127.0.0.1:9' });
  let now = 0;
  const running = sampler.start(() => now, 0.05);
  await new Promise((r) => setTimeout(r, 120));
  now = 1;
  const { samples, lastError } = await running.stop();
  assert.ok(samples.length >= 2, `samples ${samples.length}`);
  assert.deepEqual(samples.at(-1), { t: 1, providers: { groq: { ok: 7, rateLimited: 2, rateLimit: 30, rateWindowMs: 60_000 }, gone: null } });
  assert.match(lastError!, /GET http:\/\/127\.0\.0\.1:9\/admin\/stats/);
  assert.throws(() => readingFrom({ settings: {}, stats: { ok: 1 } }), /lacks rateLimited, rateLimit, rateWindowMs/);
});

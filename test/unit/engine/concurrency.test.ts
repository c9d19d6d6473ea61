import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admissionLimit, measuredThroughputShare } from '../../../src/plimsoll/engine/concurrency.js';
import { decide } from '../../../src/plimsoll/engine/decide.js';
import { emptyMemory, type EngineMemory } from '../../../src/plimsoll/engine/types.js';
import { fresh, spec, T0 } from './fixtures.js';

const withProvider = (algorithm: 'None' | 'AIMD' | 'Gradient2', requestsPerMinute = 120) =>
  spec({
    queues: {
      providers: [{ name: 'openai', rateLimit: { requests: requestsPerMinute, periodSeconds: 60 }, concurrency: { min: 1, max: 16 }, latencySignal: 'latency', throttledSignal: 'throttled' }],
      adaptive: { algorithm },
    },
  });

function run(s: ReturnType<typeof spec>, replicas: number, values: Record<string, number>, memory: EngineMemory, now: number) {
  return decide({ spec: s, observations: { currentReplicas: replicas, signals: fresh({ rate: replicas * 10, ...values }, now) }, memory, now });
}

test('the rate limit split over replicas bounds concurrency (Little\'s law)', () => {
  // 2 req/s × 3 s in flight × 1.2 headroom = 7.2 over 2 replicas → 4 each.
  const d = run(withProvider('None'), 2, { latency: 3, throttled: 0 }, emptyMemory(T0), T0);
  assert.equal(d.concurrency[0]!.value, 4);
  assert.equal(d.concurrency[0]!.limitedBy, 'RateLimit');
  assert.deepEqual(d.concurrency[0]!.rateLimit, { max: 120, durationMs: 60_000 });
  const more = run(withProvider('None'), 8, { latency: 3, throttled: 0 }, emptyMemory(T0), T0);
  assert.equal(more.concurrency[0]!.value, 1, 'more replicas, smaller share');
});

test('AIMD: ×0.9 on 429s, +1 otherwise, within bounds', () => {
  const s = withProvider('AIMD');
  let d = run(s, 1, { latency: 10, throttled: 0 }, emptyMemory(T0), T0);
  assert.equal(d.concurrency[0]!.value, 16, 'starts at the ceiling (24 → max 16)');
  d = run(s, 1, { latency: 10, throttled: 2 }, d.memory, T0 + 15_000);
  assert.equal(d.concurrency[0]!.value, 14, 'floor(16 × 0.9)');
  assert.match(d.concurrency[0]!.reason, /AIMDDecrease/);
  d = run(s, 1, { latency: 10, throttled: 0 }, d.memory, T0 + 30_000);
  assert.equal(d.concurrency[0]!.value, 15);
  for (let i = 0; i < 40; i++) d = run(s, 1, { latency: 10, throttled: 5 }, d.memory, T0 + 45_000 + i * 15_000);
  assert.equal(d.concurrency[0]!.value, 1, 'never below min');
});

test('Gradient2: a latency spike lowers the limit, recovery raises it', () => {
  // A generous rate limit, so the adaptive limit, not the rate share, is what moves.
  const s = withProvider('Gradient2', 60_000);
  let d = run(s, 1, { latency: 2, throttled: 0 }, emptyMemory(T0), T0);
  for (let i = 1; i < 10; i++) d = run(s, 1, { latency: 2, throttled: 0 }, d.memory, T0 + i * 15_000);
  const steady = d.concurrency[0]!.value;
  assert.equal(steady, 16);
  for (let i = 10; i < 20; i++) d = run(s, 1, { latency: 8, throttled: 0 }, d.memory, T0 + i * 15_000);
  const spiked = d.concurrency[0]!.value;
  assert.ok(spiked < steady, `${spiked} < ${steady}`);
  for (let i = 20; i < 40; i++) d = run(s, 1, { latency: 2, throttled: 0 }, d.memory, T0 + i * 15_000);
  assert.ok(d.concurrency[0]!.value > spiked, 'recovers once latency falls back');
});

test('AIMD steps once per polling interval, however often the operator decides in between', () => {
  const s = withProvider('AIMD');
  let d = run(s, 1, { latency: 10, throttled: 0 }, emptyMemory(T0), T0);
  assert.equal(d.concurrency[0]!.value, 16);
  // Three reconciles within one interval (events, not polls) see the same 429 reading: one step.
  for (const dt of [15_000, 15_400, 16_000, 27_000]) d = run(s, 1, { latency: 10, throttled: 2 }, d.memory, T0 + dt);
  assert.equal(d.concurrency[0]!.value, 14, 'floor(16 × 0.9) once, not 16 × 0.9⁴');
  assert.match(d.concurrency[0]!.reason, /AIMDDecrease/, 'the held limit keeps the reason of its step');
  d = run(s, 1, { latency: 10, throttled: 2 }, d.memory, T0 + 30_000);
  assert.equal(d.concurrency[0]!.value, 12, 'the next interval steps again: floor(14.4 × 0.9)');
});

test('between steps the rate ceiling still follows the replica count at once', () => {
  const s = withProvider('AIMD');
  let d = run(s, 1, { latency: 3, throttled: 0 }, emptyMemory(T0), T0);
  assert.equal(d.concurrency[0]!.value, 8, '2 req/s × 3 s × 1.2 = 7.2 → 8 on one replica');
  d = run(s, 4, { latency: 3, throttled: 0 }, d.memory, T0 + 1_000);
  assert.equal(d.concurrency[0]!.value, 2, 'four replicas share it: ceil(7.2 / 4) without waiting for the next poll');
});

test('admission: each provider queue admits what its rate limit answers within the deadline, less a fifth', () => {
  // 120 requests a minute = 2/s; 60 s deadline → 120 answered in time; ×0.8 → 96.
  assert.equal(run(withProvider('AIMD'), 2, { latency: 3, throttled: 0 }, emptyMemory(T0), T0).concurrency[0]!.maxWaiting, 96);
  const short = spec({ queues: { providers: [{ name: 'openai', rateLimit: { requests: 30, periodSeconds: 60 }, concurrency: { min: 1, max: 4 } }], deadlineSeconds: 20 } });
  // 0.5/s × 20 s × 0.8 = 8, whatever the replicas or latency.
  assert.equal(run(short, 5, {}, emptyMemory(T0), T0).concurrency[0]!.maxWaiting, 8);
});

test('admission follows the measured throughput in a brownout: what the concurrency at the measured latency answers within the deadline', () => {
  // 120/min = 2/s. Concurrency at its max (16 on one replica): 16 calls at 4 s answer 4/s, more
  // than the limit, so the limit rules (96). At 20 s (a brownout) they answer 0.8/s, 40 % of it:
  // 2 × 0.4 × 60 × 0.8 = 38 jobs, not 96 that would wait past the deadline.
  const s = withProvider('None');
  assert.equal(run(s, 1, { latency: 4, throttled: 0 }, emptyMemory(T0), T0).concurrency[0]!.maxWaiting, 96);
  const brownout = run(s, 1, { latency: 20, throttled: 0 }, emptyMemory(T0), T0).concurrency[0]!;
  assert.equal(brownout.value, 16);
  assert.equal(brownout.maxWaiting, 38);
  // Jitter within a tenth of the limit leaves the document alone: 19.5 s reads as 40 % too.
  assert.equal(run(s, 1, { latency: 19.5, throttled: 0 }, emptyMemory(T0), T0).concurrency[0]!.maxWaiting, 38);
  // Without a latency reading the rate limit rules.
  assert.equal(run(s, 1, { throttled: 0 }, emptyMemory(T0), T0).concurrency[0]!.maxWaiting, 96);
});

test('the measured throughput counts failed and refused (429) calls out: half of them failing halves what the queue admits', () => {
  const provider = withProvider('None').queues!.providers[0]!;
  // 16 calls at 4 s could go out at 4/s; the limiter sends 2/s, and half of them fail.
  assert.equal(measuredThroughputShare(provider, 16, 1, { latencySeconds: 4, errorRatio: 0.5 }), 0.5);
  assert.equal(admissionLimit(provider, 60, 0.5), 48);
  assert.equal(measuredThroughputShare(provider, 16, 1, { latencySeconds: 4, errorRatio: 0 }), 1);
  assert.equal(measuredThroughputShare(provider, 16, 1, {}), undefined, 'no latency reading: the rate limit');
  // The provider cut its limit to half the policy's: of the 2/s the limiter sends, 1/s comes back 429.
  assert.equal(measuredThroughputShare(provider, 16, 1, { latencySeconds: 4, throttledPerSecond: 1 }), 0.5);
  assert.equal(measuredThroughputShare(provider, 16, 1, { latencySeconds: 4, throttledPerSecond: 5 }), 0, 'never below 0');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from '../../../src/plimsoll/operator/work-queue.js';
import { FakeClock } from './fake-clock.js';

test('a key added many times is queued once', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('ns/a');
  q.add('ns/a');
  q.add('ns/b');
  q.add('ns/a');
  assert.equal(q.len(), 2);
  assert.equal(await q.get(), 'ns/a');
  assert.equal(await q.get(), 'ns/b');
  assert.equal(q.len(), 0);
});

test('a key is never handed to two workers at once; an add while processing re-queues it on done', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('ns/a');
  const key = await q.get();
  assert.equal(key, 'ns/a');
  q.add('ns/a'); // an event while a worker holds it
  q.add('ns/a');
  assert.equal(q.len(), 0, 'not handed out again while processing');
  let second: string | undefined;
  void q.get().then((k) => { second = k; });
  await Promise.resolve();
  assert.equal(second, undefined);
  q.done('ns/a');
  await Promise.resolve();
  assert.equal(second, 'ns/a', 'queued again once, after done');
  q.done('ns/a');
  assert.equal(q.len(), 0);
});

test('a waiting worker gets a key added later', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  const pending = q.get();
  q.add('ns/x');
  assert.equal(await pending, 'ns/x');
  assert.ok(q.isProcessing('ns/x'));
});

test('per-key backoff doubles from 5 ms and caps at 1000 s; forget resets it', () => {
  const q = new WorkQueue({ clock: new FakeClock(), qps: 1e9, burst: 1e9 });
  const delays = Array.from({ length: 20 }, () => q.when('ns/a'));
  assert.deepEqual(delays.slice(0, 5), [5, 10, 20, 40, 80]);
  assert.equal(delays[18], 1_000_000);
  assert.equal(delays[19], 1_000_000);
  assert.equal(q.numRequeues('ns/a'), 20);
  assert.equal(q.when('ns/b'), 5, 'backoff is per key');
  q.forget('ns/a');
  assert.equal(q.numRequeues('ns/a'), 0);
  assert.equal(q.when('ns/a'), 5);
});

test('the overall token bucket allows a burst of 100, then 10 per second', () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  const delays = Array.from({ length: 110 }, (_, i) => q.when(`ns/k${i}`));
  assert.ok(delays.slice(0, 100).every((d) => d === 5), 'burst: only the per-key base delay');
  assert.deepEqual(delays.slice(100, 103), [100, 200, 300], 'then one token per 100 ms');
  clock.advance(60_000); // the bucket refills
  assert.equal(q.when('ns/fresh'), 5);
});

test('addRateLimited and addAfter fire on the clock; the earliest schedule wins', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addAfter('ns/a', 1000);
  q.addAfter('ns/a', 5000); // later: ignored
  q.addAfter('ns/a', 500); // earlier: replaces
  assert.equal(clock.pending(), 1);
  clock.advance(499);
  assert.equal(q.len(), 0);
  clock.advance(1);
  assert.equal(q.len(), 1);
  assert.equal(await q.get(), 'ns/a');
  q.done('ns/a');

  q.addRateLimited('ns/b');
  q.addRateLimited('ns/b');
  clock.advance(4);
  assert.equal(q.len(), 0);
  clock.advance(1);
  assert.equal(q.len(), 1, 'first backoff 5 ms');
});

test('shutDown releases waiting workers and drops schedules', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  const waiting = q.get();
  q.addAfter('ns/a', 100);
  q.shutDown();
  assert.equal(await waiting, undefined);
  assert.equal(clock.pending(), 0);
  q.add('ns/b');
  assert.equal(await q.get(), undefined);
});

test('depth is reported on every change', async () => {
  const depths: number[] = [];
  const q = new WorkQueue({ clock: new FakeClock(), onChange: (d) => depths.push(d) });
  q.add('a');
  q.add('b');
  await q.get();
  assert.deepEqual(depths, [1, 2, 1]);
});

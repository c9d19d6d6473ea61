import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseFence } from '../../../src/plimsoll/operator/lease-fence.js';
import { isPlimsollError } from '../../../src/plimsoll/errors.js';

function fenceAt(start: number) {
  const clock = { t: start };
  let refused = 0;
  const fence = new LeaseFence(10_000, () => { refused += 1; }, () => clock.t);
  return { fence, clock, refused: () => refused };
}

function guardOf(fence: LeaseFence): () => AbortSignal {
  return () => fence.guard.signal!()!;
}

test('the fence is closed until the first renew, then open for the renew deadline from when the renew was sent', () => {
  const { fence, clock, refused } = fenceAt(1000);
  const guard = guardOf(fence);
  assert.throws(guard, (e) => isPlimsollError(e) && e.code === 'LEADER_FENCED');
  const sentAt = fence.stamp();
  clock.t += 3000; // the renew took 3 s to answer: the 10 s count from when it was sent
  fence.renewed(sentAt);
  assert.equal(fence.remainingMs, 7000);
  assert.equal(guard().aborted, false);
  clock.t = sentAt + 10_000;
  assert.throws(guard, (e) => isPlimsollError(e) && e.code === 'LEADER_FENCED');
  assert.equal(refused(), 2);
});

test('a frozen process refuses its first request after waking, and aborts what was in flight', () => {
  const { fence, clock } = fenceAt(0);
  const guard = guardOf(fence);
  fence.renewed(fence.stamp());
  const inFlight = guard();
  clock.t += 60_000; // SIGSTOP for a minute: no timer ran, the monotonic clock moved on
  assert.throws(guard);
  assert.equal(inFlight.aborted, true);
  assert.ok(isPlimsollError(inFlight.reason) && inFlight.reason.code === 'LEADER_FENCED');
});

test('a renew after a revoke opens a new term with a fresh signal; an older renew never shortens the fence', () => {
  const { fence, clock } = fenceAt(0);
  const guard = guardOf(fence);
  fence.renewed(0);
  fence.revoke('stopped leading');
  assert.equal(fence.held, false);
  clock.t = 5000;
  fence.renewed(5000);
  const signal = guard();
  assert.equal(signal.aborted, false);
  fence.renewed(1000); // a slow, older attempt answering late
  assert.equal(fence.remainingMs, 10_000);
});

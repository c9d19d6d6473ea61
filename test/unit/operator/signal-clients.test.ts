// The shared pieces of the signal clients: bounded concurrency per server, one request per
// identical read in a polling window, and a deadline that turns a hung read into SIGNAL_TIMEOUT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedLimiter } from '../../../src/plimsoll/operator/signals/limiter.js';
import { Coalescer } from '../../../src/plimsoll/operator/signals/coalescer.js';
import { withDeadline } from '../../../src/plimsoll/operator/signals/deadline.js';
import { isPlimsollError } from '../../../src/plimsoll/errors.js';

function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}
const tick = () => new Promise((r) => setImmediate(r));

test('limiter: at most `limit` per key, others wait in order; other keys are not held up', async () => {
  const limiter = new KeyedLimiter(2);
  const never = new AbortController().signal;
  const hung = [deferred(), deferred(), deferred()];
  const started: number[] = [];
  const runs = hung.map((d, i) => limiter.run('hung:9', never, async () => { started.push(i); await d.promise; }));
  await tick();
  assert.deepEqual(started, [0, 1]);
  assert.deepEqual(limiter.load('hung:9'), { active: 2, waiting: 1 });
  assert.equal(await limiter.run('other:9', never, async () => 'answered'), 'answered', 'another server has its own slots');
  hung[0]!.resolve();
  await tick();
  assert.deepEqual(started, [0, 1, 2], 'the freed slot passes to the waiter');
  hung[1]!.resolve();
  hung[2]!.resolve();
  await Promise.all(runs);
  assert.deepEqual(limiter.load('hung:9'), { active: 0, waiting: 0 });
});

test('limiter: a waiter whose signal aborts leaves the queue with the abort reason', async () => {
  const limiter = new KeyedLimiter(1);
  const hold = deferred();
  const first = limiter.run('k', new AbortController().signal, () => hold.promise);
  const giveUp = new AbortController();
  let ran = false;
  const waiting = limiter.run('k', giveUp.signal, async () => { ran = true; });
  await tick();
  giveUp.abort(new Error('deadline'));
  await assert.rejects(waiting, /deadline/);
  assert.deepEqual(limiter.load('k'), { active: 1, waiting: 0 });
  hold.resolve();
  await first;
  assert.equal(ran, false);
  assert.deepEqual(limiter.load('k'), { active: 0, waiting: 0 });
});

test('coalescer: identical reads in one window share one load, its answer and its error', async () => {
  const shared = new Coalescer<number>();
  let loads = 0;
  const answer = deferred<number>();
  const load = () => { loads++; return answer.promise; };
  const window = { ms: 10_000, now: 20_000 };
  const a = shared.share('q', window, load);
  const b = shared.share('q', { ...window, now: 21_000 }, load);
  answer.resolve(7);
  assert.deepEqual(await Promise.all([a, b]), [7, 7]);
  assert.equal(await shared.share('q', { ...window, now: 24_999 }, load), 7, 'an answer is reused within half a window');
  assert.equal(loads, 1);
  await shared.share('other', window, async () => { loads++; return 1; });
  assert.equal(loads, 2, 'another key asks for itself');

  let failures = 0;
  const failing = () => { failures++; return Promise.reject(new Error('down')); };
  await assert.rejects(shared.share('f', window, failing), /down/);
  await assert.rejects(shared.share('f', window, failing), /down/);
  assert.equal(failures, 1, 'one outage is one failed request per window, not one per caller');
});

test('coalescer: a new window, half a window later, a different window size, or no window asks again', async () => {
  const shared = new Coalescer<number>();
  let loads = 0;
  const load = async () => ++loads;
  assert.equal(await shared.share('q', { ms: 10_000, now: 20_000 }, load), 1);
  // A policy's own next poll comes ~one window later (its timer may fire 100 ms early): never the same answer.
  assert.equal(await shared.share('q', { ms: 10_000, now: 25_000 }, load), 2, 'half a window after it was asked');
  assert.equal(await shared.share('q', { ms: 10_000, now: 29_999 }, load), 2, 'reused within half a window of the second ask');
  assert.equal(await shared.share('q', { ms: 10_000, now: 30_000 }, load), 3, 'the next bucket');
  assert.equal(await shared.share('q', { ms: 1_000, now: 30_000 }, load), 4, 'another polling interval is another window');
  assert.equal(await shared.share('q', undefined, load), 5, 'no window: not shared');
  assert.ok(shared.size <= 2, `expired entries are dropped: ${shared.size} kept`);
});

test('deadline: past it the caller gets SIGNAL_TIMEOUT at once and the work is told to stop', async () => {
  let aborted: unknown;
  const hung = withDeadline(50, 'prometheus http://127.0.0.1:1', (signal) => new Promise<never>(() => {
    signal.addEventListener('abort', () => { aborted = signal.reason; });
  }));
  await assert.rejects(hung, (e: unknown) => isPlimsollError(e) && e.code === 'SIGNAL_TIMEOUT' && /prometheus http:\/\/127\.0\.0\.1:1: no answer within 0\.05 s/.test(e.message));
  assert.ok(isPlimsollError(aborted) && aborted.code === 'SIGNAL_TIMEOUT', 'the work\'s signal carries the same error');
  assert.equal(await withDeadline(1000, 'x', async () => 'in time'), 'in time');
});

test('operator configuration: the signal clients\' bounds, parsed once with their defaults', async () => {
  const { loadOperatorConfig } = await import('../../../src/plimsoll/config/operator.js');
  const { defaultSignalOptions } = await import('../../../src/plimsoll/operator/signals/index.js');
  const config = loadOperatorConfig({});
  assert.deepEqual({ ...config.signals, sources: config.signalSources }, defaultSignalOptions, 'the configuration\'s defaults are the registry\'s');
  assert.deepEqual(loadOperatorConfig({ OPERATOR_SIGNAL_HOST_CONCURRENCY: '8', OPERATOR_PGBOUNCER_TIMEOUT_MS: '2500' }).signals, { hostConcurrency: 8, pgbouncerTimeoutMs: 2500 });
  assert.throws(() => loadOperatorConfig({ OPERATOR_SIGNAL_HOST_CONCURRENCY: '0' }), (e: unknown) => isPlimsollError(e) && e.problems.some((p) => p.path === 'signals.hostConcurrency'));
  assert.throws(() => loadOperatorConfig({ OPERATOR_PGBOUNCER_TIMEOUT_MS: 'soon' }), (e: unknown) => isPlimsollError(e) && e.problems.some((p) => p.path === 'signals.pgbouncerTimeoutMs'));
});

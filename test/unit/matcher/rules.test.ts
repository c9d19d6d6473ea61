// The matcher's pure rules: its emergency level, admission, merging a provider's reply, idempotency keys.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyse } from '../../../src/matcher/analysis/analyse.js';
import { analysisId, inputDigest } from '../../../src/matcher/analysis-service.js';
import { admissionVerdict } from '../../../src/matcher/protection/admission.js';
import { mergeReply } from '../../../src/matcher/providers/openai-compatible-provider.js';
import type { ServiceLevel } from '../../../src/plimsoll/contract/service-levels.js';
import { EffectiveServiceLevel, emergencyLevel } from '../../../src/matcher/protection/effective-service-level.js';

const thresholds = { reducedHeapMb: 350, basicHeapMb: 400, reducedLagMs: 200, basicLagMs: 500 };

describe('effective service level', () => {
  const table: [number, number, string][] = [
    [100, 0, 'Full'], [349, 199, 'Full'], [350, 0, 'Reduced'], [100, 200, 'Reduced'], [400, 0, 'Basic'], [100, 500, 'Basic'], [999, 999, 'Basic'],
  ];
  for (const [heapMb, lagMs, level] of table) {
    it(`heap ${heapMb} MB, lag ${lagMs} ms → ${level}`, () => assert.equal(emergencyLevel({ heapMb, lagMs }, thresholds), level));
  }
  it('the queue rule is off by default and, when set, degrades on waiting jobs', () => {
    assert.equal(emergencyLevel({ heapMb: 100, lagMs: 0, queueWaiting: 1e6 }, thresholds), 'Full');
    const withQueue = { ...thresholds, reducedQueueWaiting: 100, basicQueueWaiting: 400 };
    assert.equal(emergencyLevel({ heapMb: 100, lagMs: 0, queueWaiting: 99 }, withQueue), 'Full');
    assert.equal(emergencyLevel({ heapMb: 100, lagMs: 0, queueWaiting: 100 }, withQueue), 'Reduced');
    assert.equal(emergencyLevel({ heapMb: 100, lagMs: 0, queueWaiting: 400 }, withQueue), 'Basic');
    assert.equal(emergencyLevel({ heapMb: 100, lagMs: 0 }, withQueue), 'Full', 'no queue sample: no queue rule');
  });
  it('samples the queue through the function it is given', () => {
    let waiting = 0;
    const levels = new EffectiveServiceLevel({ current: () => 'Full' }, { ...thresholds, basicQueueWaiting: 10 });
    levels.watchQueue(() => waiting);
    assert.equal(levels.sample().queueWaiting, 0);
    assert.equal(levels.current(), 'Full');
    waiting = 12;
    levels.sample();
    assert.equal(levels.current(), 'Basic');
  });
  it('the effective level is the more degraded of the cluster\'s and the emergency level', () => {
    let cluster: ServiceLevel = 'Full';
    const heavy = new EffectiveServiceLevel({ current: () => cluster }, { ...thresholds, reducedHeapMb: 1 });
    heavy.sample();
    assert.equal(heavy.current(), 'Reduced', 'this process uses more than 1 MB of heap');
    cluster = 'Basic';
    assert.equal(heavy.current(), 'Basic');
    cluster = 'Maintenance';
    assert.deepEqual([heavy.describe().cluster, heavy.describe().emergency, heavy.current()], ['Maintenance', 'Reduced', 'Maintenance']);
  });
});

describe('admission verdict', () => {
  const limits = { heapMb: 450, eventLoopLagMs: 1000, maxWaiting: 100 };
  it('refuses on heap, lag, and queue depth (analyses only)', () => {
    assert.equal(admissionVerdict({ heapMb: 460, lagMs: 0 }, 0, false, limits), 'heap');
    assert.equal(admissionVerdict({ heapMb: 10, lagMs: 1500 }, 0, false, limits), 'event_loop_lag');
    assert.equal(admissionVerdict({ heapMb: 10, lagMs: 0 }, 100, true, limits), 'queue_depth');
    assert.equal(admissionVerdict({ heapMb: 10, lagMs: 0 }, 100, false, limits), undefined);
    assert.equal(admissionVerdict({ heapMb: 10, lagMs: 0 }, 99, true, limits), undefined);
  });
});

describe('provider reply', () => {
  const local = analyse({ content: '5 years of Go and PostgreSQL' }, { title: 'Go dev', description: 'Requirements: Go, Kafka' });
  const reply = (content: string | null) => ({ choices: [{ message: { content } }] });
  it('merges a valid structured reply over the local result', () => {
    const r = mergeReply(local, reply(JSON.stringify({ matchPercentage: 71.6, strengths: ['Go'], gaps: ['Kafka'], explanation: 'ok' })));
    assert.equal(r.usable, true);
    assert.equal(r.result.matchPercentage, 72);
    assert.equal(r.result.verdict, 'good');
    assert.deepEqual(r.result.commonSkills, local.commonSkills);
  });
  it('accepts a fenced JSON block', () => {
    assert.equal(mergeReply(local, reply('```json\n{"matchPercentage": 10, "strengths": [], "gaps": [], "explanation": "x"}\n```')).usable, true);
  });
  it('falls back to the local result when the reply is unusable', () => {
    for (const body of [null, {}, reply(null), reply('a good fit!'), reply('{"matchPercentage": 140, "strengths": [], "gaps": [], "explanation": "x"}'),
      reply('{"matchPercentage": 50}')]) {
      const r = mergeReply(local, body);
      assert.equal(r.usable, false, JSON.stringify(body));
      assert.equal(r.result, local);
    }
  });
});

describe('idempotency key', () => {
  it('is a deterministic UUID that changes with any part of the key', () => {
    const a = analysisId('t|r|j|d|openai|p1');
    assert.equal(a, analysisId('t|r|j|d|openai|p1'));
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(a, analysisId('t|r|j|d|openai|p2'));
    assert.notEqual(a, analysisId('t|r|j|d|groq|p1'));
  });
  it('the input digest follows the documents\' content', () => {
    const job = { title: 'Go', description: 'Go' };
    assert.equal(inputDigest({ content: 'a' }, job), inputDigest({ content: 'a', headline: null }, job));
    assert.notEqual(inputDigest({ content: 'a' }, job), inputDigest({ content: 'b' }, job));
  });
});

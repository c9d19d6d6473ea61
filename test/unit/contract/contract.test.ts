// The contract between the operator and the replicas: one schema both sides parse with, the
// health fields the operator reads, the level order. The operator's document must parse as a
// replica parses it, and what a replica reports must parse as the operator reads it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACKNOWLEDGEMENT_FIELD, levelAtRank, levelRank, moreDegraded, parseRuntimeDocument, readAppliedRuntime, runtimeConfigMapName,
  SERVICE_LEVELS, type CompleteContent, type KnobHandlers,
} from '../../../src/plimsoll/contract/index.js';
import { decide, emptyMemory } from '../../../src/plimsoll/engine/index.js';
import { readRuntimeDocument, runtimeConfigMap, runtimeContent } from '../../../src/plimsoll/operator/runtime-document.js';
import { scalingPolicySpecSchema } from '../../../src/plimsoll/api/scaling-policy.js';

describe('runtime document', () => {
  const good = { policy: 'p', generation: 3, issuedAt: '2026-01-01T00:00:00Z', serviceLevel: 'Reduced', replicas: 2, db: { poolMax: 10 },
    queues: { groq: { concurrency: 1, rateLimit: { max: 30, durationMs: 60000 } } }, future: true };
  it('parses a valid document and tolerates unknown fields', () => {
    const d = parseRuntimeDocument(JSON.stringify(good));
    assert.equal(d.generation, 3);
    assert.equal(d.queues.groq!.rateLimit!.max, 30);
  });
  it('accepts a document without db: a policy with no connection budget leaves the pool alone', () => {
    const { db: _db, ...withoutDb } = good;
    assert.equal(parseRuntimeDocument(JSON.stringify(withoutDb)).db, undefined);
  });
  it('rejects broken JSON and schema violations with RUNTIME_DOCUMENT_INVALID', () => {
    assert.throws(() => parseRuntimeDocument('{'), /RUNTIME|not JSON/);
    assert.throws(() => parseRuntimeDocument(JSON.stringify({ ...good, serviceLevel: 'Turbo' })), (e: Error & { code?: string }) => e.code === 'RUNTIME_DOCUMENT_INVALID');
    assert.throws(() => parseRuntimeDocument(JSON.stringify({ ...good, generation: -1 })), /generation/);
    assert.throws(() => parseRuntimeDocument(JSON.stringify({ ...good, db: { poolMax: 0 } })), /poolMax/);
  });

  const spec = (budget: boolean) => scalingPolicySpecSchema.parse({
    targetRef: { name: 'matcher' }, replicas: { min: 2, max: 10 },
    ...(budget ? { connectionBudget: { maxConnections: 100, reserved: 10, pool: { min: 2, max: 40 } } } : {}),
    queues: { providers: [{ name: 'groq', concurrency: { min: 1, max: 8 }, rateLimit: { requests: 30, periodSeconds: 60 } }] },
  });

  it('what the operator publishes is what a replica parses, and what the operator reads back', () => {
    const decision = decide({ spec: spec(true), observations: { currentReplicas: 3, signals: {} }, memory: emptyMemory(0), now: 0 });
    const doc = { ...runtimeContent('matcher', decision), generation: 7, issuedAt: new Date(0).toISOString() };
    const cm = runtimeConfigMap({ name: 'matcher', namespace: 'ns', uid: 'u' }, runtimeConfigMapName('matcher'), doc);
    assert.equal(cm.metadata?.name, 'matcher-runtime');
    assert.deepEqual(parseRuntimeDocument(cm.data!['runtime.json']!), doc);
    assert.deepEqual(readRuntimeDocument(cm), doc);
    assert.equal(doc.db?.poolMax, decision.poolMax?.value);
    // 30 requests a minute answer 30 jobs in the default 60 s deadline; a fifth is headroom.
    assert.deepEqual(doc.queues.groq, { concurrency: decision.concurrency[0]!.value, rateLimit: decision.concurrency[0]!.rateLimit, maxWaiting: 24 });
  });

  it('no connection budget and no pool published: the engine has no pool opinion and the document says nothing', () => {
    const decision = decide({ spec: spec(false), observations: { currentReplicas: 3, signals: {} }, memory: emptyMemory(0), now: 0 });
    assert.equal(decision.poolMax, undefined);
    assert.equal('db' in runtimeContent('matcher', decision), false);
    const kept = decide({ spec: spec(false), observations: { currentReplicas: 3, signals: {}, currentPoolMax: 12 }, memory: emptyMemory(0), now: 0 });
    assert.deepEqual(runtimeContent('matcher', kept).db, { poolMax: 12 });
  });

  it('the operator reads back only a valid document, and hears why not', () => {
    const problems: string[] = [];
    const broken = { data: { 'runtime.json': JSON.stringify({ ...good, serviceLevel: 'Turbo' }) } };
    assert.equal(readRuntimeDocument(broken, (e) => problems.push(e.message)), undefined);
    assert.match(problems[0]!, /serviceLevel/);
    assert.equal(readRuntimeDocument({ data: {} }), undefined);
  });

  it('a knob added to the schema must be handled and decided (checked by the compiler)', () => {
    // @ts-expect-error a replica's knob table without `queues` does not compile
    const handlers: KnobHandlers<void> = { serviceLevel: () => undefined, replicas: () => undefined, db: () => undefined };
    // @ts-expect-error the operator's content without `db` (even when undefined) does not compile
    const content: CompleteContent = { policy: 'p', serviceLevel: 'Full', replicas: 1, queues: {} };
    assert.ok(handlers && content);
  });
});

describe('health fields', () => {
  it('reads the acknowledgement and the pool a replica runs', () => {
    const runtime = { generation: 4, policy: 'p', appliedAt: null, issuedAt: null, source: 'file:/x', lastError: null, ignoredStale: 0, poolMax: 7 };
    assert.equal(ACKNOWLEDGEMENT_FIELD, 'runtimeGeneration');
    assert.deepEqual(readAppliedRuntime({ runtimeGeneration: 4, runtime }), { generation: 4, poolMax: 7 });
    assert.deepEqual(readAppliedRuntime({ runtimeGeneration: null, runtime: { ...runtime, generation: null } }), { generation: null, poolMax: 7 });
  });
  it('a replica that predates the contract reports only the generation, or nothing', () => {
    assert.deepEqual(readAppliedRuntime({ runtimeGeneration: 2 }), { generation: 2, poolMax: null });
    assert.equal(readAppliedRuntime({ status: 'ok' }), 'absent');
    assert.equal(readAppliedRuntime(null), 'absent');
    assert.deepEqual(readAppliedRuntime({ runtimeGeneration: 'seven' }), { generation: null, poolMax: null });
  });
});

describe('service levels', () => {
  it('are ordered mildest first, and the rank is the gauges\' value', () => {
    assert.deepEqual(SERVICE_LEVELS, ['Full', 'Reduced', 'Basic', 'Maintenance']);
    assert.deepEqual(SERVICE_LEVELS.map((l) => levelRank[l]), [0, 1, 2, 3]);
    assert.equal(moreDegraded('Full', 'Reduced'), 'Reduced');
    assert.equal(moreDegraded('Maintenance', 'Basic'), 'Maintenance');
    assert.equal(levelAtRank(1.6), 'Basic');
    assert.equal(levelAtRank(-1), 'Full');
    assert.equal(levelAtRank(9), 'Maintenance');
  });
});

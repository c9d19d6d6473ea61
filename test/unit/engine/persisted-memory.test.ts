// The engine's memory through status: compacting keeps the windows exact, a restored memory
// decides as the uninterrupted one would, and only material changes ask for a write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compactRecommendations, decide, emptyMemory, persistMemory, recordScale, restoreMemory, sameMaterialMemory, type EngineMemory,
} from '../../../src/plimsoll/engine/index.js';
import { stabilize } from '../../../src/plimsoll/engine/replicas.js';
import { fresh, spec, T0 } from './fixtures.js';

const windows = { scaleUp: { stabilizationWindowSeconds: 30 }, scaleDown: { stabilizationWindowSeconds: 60 } };

test('the compacted recommendations stabilize exactly as the whole history does', () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const behavior = spec({ replicas: { min: 1, max: 20, behavior: windows } }).replicas.behavior;
  for (let run = 0; run < 200; run++) {
    const history = Array.from({ length: 1 + Math.floor(random() * 40) }, (_, i) => ({ at: T0 + i * 2000, replicas: 1 + Math.floor(random() * 12) }));
    const compact = compactRecommendations(history);
    assert.ok(compact.length <= history.length);
    for (const now of [T0 + 40_000, T0 + 70_000, T0 + 100_000]) {
      for (const current of [1, 6, 12]) {
        assert.deepEqual(stabilize(5, current, compact, now, behavior), stabilize(5, current, history, now, behavior), `run ${run}`);
      }
    }
  }
  // A steady recommendation is one entry, however long it lasts.
  assert.equal(compactRecommendations(Array.from({ length: 30 }, (_, i) => ({ at: T0 + i * 1000, replicas: 8 }))).length, 1);
});

test('a new leader resumes the scale-down window from status instead of dropping at once', () => {
  const s = spec({ pollingIntervalSeconds: 1, replicas: { min: 1, max: 20, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } });
  let memory = emptyMemory(T0);
  const current = 8;
  const step = (m: EngineMemory, load: number, now: number) => decide({ spec: s, observations: { currentReplicas: current, signals: fresh({ rate: load }, now) }, memory: m, now });
  for (let t = 0; t < 10; t++) memory = step(memory, 80, T0 + t * 1000).memory;
  // The load drops at +10 s: the window holds 8.
  const drop = step(memory, 20, T0 + 10_000);
  assert.equal(drop.replicas.value, 8);
  assert.equal(drop.replicas.limitedBy, 'ScaleDownStabilization');
  const inStatus = JSON.parse(JSON.stringify(persistMemory(drop.memory, 'uid-1'))) as ReturnType<typeof persistMemory>;

  // The leader dies; another takes over 15 s later.
  const takeover = T0 + 25_000;
  const restored = restoreMemory(inStatus, 'uid-1', takeover);
  assert.ok(restored);
  const resumed = step({ ...emptyMemory(takeover), ...restored }, 20, takeover);
  assert.equal(resumed.replicas.value, 8, 'the window measured from the drop still holds');
  assert.equal(step({ ...emptyMemory(takeover), ...restored }, 20, T0 + 71_000).replicas.value, 2, 'and ends 60 s after the last 8');
  // What a leader with empty memory decides (the bug this fixes).
  assert.equal(step(emptyMemory(takeover), 20, takeover).replicas.value, 2);
});

test('scale events and the level come back; another lineage or version is ignored', () => {
  const s = spec({ replicas: { min: 1, max: 20, behavior: { scaleUp: { policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] } } } });
  let memory = recordScale(emptyMemory(T0), 2, T0);
  memory = { ...memory, level: { value: 'Reduced', since: T0 - 5000 } };
  const persisted = persistMemory(memory, 'uid-1');
  const restored = restoreMemory(persisted, 'uid-1', T0 + 10_000)!;
  assert.deepEqual(restored.scaleEvents, [{ at: T0, change: 2 }]);
  assert.deepEqual(restored.level, { value: 'Reduced', since: T0 - 5000 });
  // The rate policy's allowance (2 pods per 60 s) was used up before the takeover.
  const d = decide({ spec: s, observations: { currentReplicas: 4, signals: fresh({ rate: 200 }, T0 + 10_000) }, memory: { ...emptyMemory(T0), ...restored }, now: T0 + 10_000 });
  assert.equal(d.replicas.value, 4);
  assert.equal(d.replicas.limitedBy, 'ScaleUpRate');
  assert.equal(restoreMemory(persisted, 'uid-2', T0), undefined);
  assert.equal(restoreMemory({ ...persisted, version: 2 }, 'uid-1', T0), undefined);
});

test('only material changes of the memory ask for a status write', () => {
  const base: EngineMemory = { ...emptyMemory(T0), recommendations: [{ at: T0, replicas: 8 }], providers: { groq: { limit: 3.2, adaptedAt: T0, reason: 'AIMDIncrease' } } };
  const before = persistMemory(base, 'u');
  // The steady recommendation made again, a limit that moved within the same concurrency.
  const later = persistMemory({ ...base, recommendations: [{ at: T0, replicas: 8 }, { at: T0 + 5000, replicas: 8 }], providers: { groq: { limit: 3.7, adaptedAt: T0 + 5000, reason: 'AIMDIncrease' } } }, 'u');
  assert.ok(sameMaterialMemory(before, later));
  assert.ok(!sameMaterialMemory(before, persistMemory({ ...base, recommendations: [{ at: T0, replicas: 8 }, { at: T0 + 5000, replicas: 2 }] }, 'u')));
  assert.ok(!sameMaterialMemory(before, persistMemory({ ...base, providers: { groq: { limit: 4.1, adaptedAt: T0, reason: 'AIMDIncrease' } } }, 'u')));
  assert.ok(!sameMaterialMemory(before, persistMemory(recordScale(base, -1, T0 + 1000), 'u')));
  assert.ok(!sameMaterialMemory(undefined, before));
  // Entries that only aged out of their windows: no write of their own (steady state writes nothing).
  const scaled = persistMemory(recordScale(base, 2, T0), 'u');
  assert.ok(sameMaterialMemory(scaled, persistMemory(base, 'u')), 'a scale event dropped from the front');
  const twoRecommendations = persistMemory({ ...base, recommendations: [{ at: T0, replicas: 8 }, { at: T0 + 5000, replicas: 3 }] }, 'u');
  assert.ok(sameMaterialMemory(twoRecommendations, persistMemory({ ...base, recommendations: [{ at: T0 + 5000, replicas: 3 }] }, 'u')), 'the oldest recommendation dropped');
  assert.ok(!sameMaterialMemory(persistMemory(base, 'u'), scaled), 'a new scale event is material');
});

test('a memory read back with its keys in another order is the same memory', () => {
  const m = persistMemory(recordScale({ ...emptyMemory(T0), recommendations: [{ at: T0, replicas: 3 }] }, 1, T0), 'u');
  const reordered = JSON.parse(JSON.stringify(m, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v))) as typeof m;
  assert.notEqual(JSON.stringify(reordered), JSON.stringify(m));
  assert.ok(sameMaterialMemory(reordered, m));
});

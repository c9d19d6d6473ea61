// The standard signals a matcher policy implies (spec.standardSignals): the short example decides
// exactly as the explicit one, the expansion's rules (override, order, provider wiring,
// idempotence), the CRD's rules on implied names, and `plimsoll validate --explain`.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { validateCommand } from '../../../src/plimsoll/cli/commands/validate.js';
import { impliedSignalInputs } from '../../../src/plimsoll/api/implied-signals.js';
import { scalingPolicySpecSchema, type ScalingPolicySpec, type ScalingPolicySpecInput } from '../../../src/plimsoll/api/scaling-policy.js';
import { parseScalingPolicy, validateScalingPolicy } from '../../../src/plimsoll/api/validate.js';
import { readSingleDocument } from '../../../src/plimsoll/shared/files.js';
import { suspectQueries } from '../../../src/plimsoll/simulator/query-check.js';
import { renderCsv, renderJson, renderSvg, renderTable } from '../../../src/plimsoll/simulator/report.js';
import { simulate } from '../../../src/plimsoll/simulator/run.js';
import { loadScenario } from '../../../src/plimsoll/simulator/scenario.js';

const root = new URL('../../../', import.meta.url);
const path = (relative: string) => new URL(relative, root).pathname;
const example = async (file: string) => parseScalingPolicy(await readSingleDocument(path(`examples/${file}`), 'ScalingPolicy'), file).spec;

/** The explicit form's addresses and Secret are what the short form leaves to the registered sources. */
function withoutSources(spec: ScalingPolicySpec): unknown {
  const copy = structuredClone(spec);
  delete copy.standardSignals;
  for (const s of copy.signals) {
    delete s.prometheus?.serverAddress;
    delete s.pgbouncer?.secretRef;
  }
  return copy;
}

test('the short example is the explicit one: same signals in the same order, same wiring, nothing else', async () => {
  const short = await example('matcher.yaml');
  const explicit = await example('matcher-explicit.yaml');
  assert.ok(short.standardSignals, 'matcher.yaml is the short form');
  assert.equal(explicit.standardSignals, undefined);
  assert.deepStrictEqual(withoutSources(short), withoutSources(explicit));
  // Implied signals carry no address and no Secret: the administrator's registered defaults apply.
  for (const s of short.signals) {
    assert.equal(s.prometheus?.serverAddress, undefined, s.name);
    assert.equal(s.prometheus?.server, undefined, s.name);
    assert.equal(s.pgbouncer?.secretRef, undefined, s.name);
  }
});

// Two scenarios that exercise the implied signals beyond load: provider trouble (breakers,
// latency, 429s) and the database (health, PgBouncer's queue). loadtests/compare-policy-forms.sh runs
// every shipped scenario through the CLI.
for (const name of ['provider-outage', 'db-slowdown']) {
  test(`simulating ${name} with the short and the explicit example gives the same output, byte for byte`, async () => {
    const { scenario } = await loadScenario(path(`loadtests/scenarios/${name}.yaml`));
    const [short, explicit] = [simulate(await example('matcher.yaml'), scenario), simulate(await example('matcher-explicit.yaml'), scenario)];
    for (const render of [renderTable, renderJson, renderCsv, renderSvg]) {
      const [a, b] = [render(short), render(explicit)];
      assert.ok(a === b, `${name}: ${render.name} differs`);
    }
  });
}

const spec = (extra: Partial<ScalingPolicySpecInput>) =>
  scalingPolicySpecSchema.parse({
    targetRef: { name: 'matcher' },
    replicas: { min: 1, max: 5 },
    standardSignals: { contract: 'matcher.plimsoll.dev/v1' },
    queues: { providers: [{ name: 'groq', rateLimit: { requests: 30, periodSeconds: 60 } }, { name: 'openai', rateLimit: { requests: 60, periodSeconds: 60 }, latencySignal: 'openai-p95' }] },
    ...extra,
  });

test('an explicit signal overrides the implied one of its name, in its place; others follow in the order written', () => {
  const s = spec({
    signals: [
      { name: 'openai-p95', prometheus: { query: 'p95' } },
      { name: 'cpu-utilization', prometheus: { query: 'my_cpu', server: 'other' } },
    ],
  });
  assert.deepEqual(s.signals.map((x) => x.name), [
    'request-rate', 'cpu-utilization', 'in-flight', 'queue-waiting', 'healthy-providers', 'heap-used-bytes', 'database-healthy',
    'groq-latency', 'groq-throttled', 'groq-errors', 'openai-latency', 'openai-throttled', 'openai-errors', 'openai-p95',
  ]);
  assert.deepEqual(s.signals[1], { name: 'cpu-utilization', prometheus: { query: 'my_cpu', server: 'other', timeoutSeconds: 5, emptyResult: 'Missing' } });
  // Implied signals get the defaults a written one gets.
  assert.deepEqual(s.signals.find((x) => x.name === 'heap-used-bytes'), {
    name: 'heap-used-bytes', health: { field: 'memory.heapUsedBytes', aggregate: 'Max', port: 8080, path: '/health/details', timeoutSeconds: 2 },
  });
  // A provider's own signal stays; what it leaves unset is implied.
  const [groq, openai] = s.queues!.providers;
  assert.deepEqual([groq!.latencySignal, groq!.throttledSignal], ['groq-latency', 'groq-throttled']);
  assert.deepEqual([openai!.latencySignal, openai!.throttledSignal], ['openai-p95', 'openai-throttled']);
  // The cpu query names the scrape job after the target.
  assert.match(spec({ targetRef: { name: 'shop' } }).signals[1]!.prometheus!.query, /job="shop"/);
});

test('expansion is idempotent, and a spec without a contract is left as written', () => {
  const once = spec({ standardSignals: { contract: 'matcher.plimsoll.dev/v1', pgbouncer: { database: 'app' } } });
  assert.deepStrictEqual(scalingPolicySpecSchema.parse(once), once);
  assert.deepEqual(once.signals.filter((x) => x.pgbouncer).map((x) => [x.name, x.pgbouncer!.database, x.pgbouncer!.metric]), [
    ['pgbouncer-waiting', 'app', 'ClientsWaiting'], ['pgbouncer-max-wait', 'app', 'MaxWaitSeconds'],
  ]);
  const plain = scalingPolicySpecSchema.parse({ targetRef: { name: 'm' }, replicas: { min: 1, max: 2 }, queues: { providers: [{ name: 'groq', rateLimit: { requests: 1, periodSeconds: 1 } }] } });
  assert.deepEqual(plain.signals, []);
  assert.equal(plain.queues!.providers[0]!.latencySignal, undefined);
});

test('the implied queries read the metrics the simulator stands for (no query-check warning)', async () => {
  const { scenario } = await loadScenario(path('loadtests/scenarios/peak.yaml'));
  assert.deepEqual(suspectQueries(await example('matcher.yaml'), scenario), []);
});

const policy = (s: Record<string, unknown>) => ({
  apiVersion: 'plimsoll.dev/v1alpha1', kind: 'ScalingPolicy', metadata: { name: 'p' },
  spec: { targetRef: { name: 'matcher' }, replicas: { min: 1, max: 5 }, queues: { providers: [{ name: 'groq', rateLimit: { requests: 30, periodSeconds: 60 } }] }, ...s },
});
const trigger = (signal: string) => ({ degradation: { levels: [{ level: 'Basic', triggers: [{ signal, operator: 'Above', enter: 2, exit: 1 }] }] } });
const contract = { standardSignals: { contract: 'matcher.plimsoll.dev/v1' } };
const problems = (s: Record<string, unknown>) => {
  const result = validateScalingPolicy(policy(s));
  return result.valid ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
};

test('the CRD rules accept a reference to an implied signal only when the contract implies it', () => {
  for (const { signal } of impliedSignalInputs(scalingPolicySpecSchema.parse({ ...policy({ ...contract, standardSignals: { contract: 'matcher.plimsoll.dev/v1', pgbouncer: { database: 'x' } } }).spec }))) {
    assert.deepEqual(problems({ standardSignals: { contract: 'matcher.plimsoll.dev/v1', pgbouncer: { database: 'x' } }, ...trigger(signal.name) }), [], signal.name);
  }
  assert.match(problems(trigger('groq-latency')).join('\n'), /spec.degradation.levels: every degradation trigger must name a signal declared in spec.signals or implied/);
  assert.match(problems({ ...contract, ...trigger('anthropic-latency') }).join('\n'), /every degradation trigger/);
  assert.match(problems({ ...contract, ...trigger('pgbouncer-waiting') }).join('\n'), /every degradation trigger/);
  assert.match(problems({ ...contract, objectives: [{ signal: 'nope', target: { type: 'Value', value: 1 } }] }).join('\n'), /every objective/);
  assert.deepEqual(problems({ ...contract, objectives: [{ signal: 'request-rate', target: { type: 'AverageValue', averageValue: 1 } }] }), []);
  assert.deepEqual(problems({ ...contract, runtime: { acknowledgement: { mode: 'Required' } } }), []);
});

test('the CRD rules keep the expanded signals within 32 and implied names within a DNS label', () => {
  const own = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `s${i}`, health: { field: 'x' } }));
  // 7 implied + 3 for groq: 22 written fit, 23 do not; a written one overriding an implied one counts once.
  assert.deepEqual(problems({ ...contract, signals: own(22) }), []);
  assert.match(problems({ ...contract, signals: own(23) }).join('\n'), /spec.signals: .*at most 32 together/);
  assert.deepEqual(problems({ ...contract, signals: [...own(22), { name: 'groq-latency', health: { field: 'x' } }] }), []);
  const long = 'p'.repeat(54);
  assert.match(problems({ ...contract, queues: { providers: [{ name: long, rateLimit: { requests: 1, periodSeconds: 1 } }] } }).join('\n'), /provider names must be at most 53/);
  assert.deepEqual(problems({ queues: { providers: [{ name: long, rateLimit: { requests: 1, periodSeconds: 1 } }] } }), []);
});

async function validateOutput(...argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks: string[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c.toString()));
  const code = await validateCommand.run(argv, { stdout, stderr });
  return { code, text: chunks.join('') };
}

test('plimsoll validate names the implied signals, and --explain prints each as written, with what it reads', async () => {
  const brief = await validateOutput(path('examples/matcher.yaml'));
  assert.equal(brief.code, 0);
  assert.match(brief.text, /ScalingPolicy matcher is valid; spec.standardSignals implies 18 signals \(--explain lists them\)/);
  const { code, text } = await validateOutput('--explain', path('examples/matcher.yaml'));
  assert.equal(code, 0);
  assert.match(text, /implies 18 signals, read from the registered default sources/);
  assert.match(text, /# groq-throttled: groq's rate-limited \(429\) responses per second\n {4}- name: groq-throttled\n {6}prometheus:\n {8}query: sum\(rate\(matcher_provider_errors_total\{provider="groq",kind="rate_limited"\}\[1m\]\)\)\n {8}emptyResult: Zero/);
  assert.match(text, /# queues.providers groq: latencySignal groq-latency, throttledSignal groq-throttled \(implied\)/);
  assert.doesNotMatch(text, /serverAddress|secretRef/);
  const explicit = await validateOutput('--explain', path('examples/matcher-explicit.yaml'));
  assert.equal(explicit.text.trim().split('\n').length, 1, 'no contract, nothing implied');
});

test('standardSignals.prometheus.selector scopes every implied Prometheus query to the target\'s series', async () => {
  const short = await example('matcher.yaml');
  const scoped = scalingPolicySpecSchema.parse({ ...short, signals: [], standardSignals: { ...short.standardSignals, prometheus: { selector: 'namespace="shop",service="matcher"' } } });
  const queries = scoped.signals.flatMap((s) => (s.prometheus ? [[s.name, s.prometheus.query] as const] : []));
  assert.ok(queries.length >= 6);
  for (const [name, query] of queries) {
    // Every series selector in the query carries the tenant's matchers, after its own.
    const selectors = [...query.matchAll(/[a-z_]+\{([^}]*)\}/g)].map((m) => m[1]!);
    assert.ok(selectors.length > 0, name);
    for (const matchers of selectors) assert.match(matchers, /(^|,)namespace="shop",service="matcher"$/, `${name}: ${query}`);
  }
  assert.equal(queries.find(([n]) => n === 'cpu-utilization')![1], 'avg(rate(process_cpu_seconds_total{job="matcher",namespace="shop",service="matcher"}[1m]))');
  const refused = validateScalingPolicy({ apiVersion: 'plimsoll.dev/v1alpha1', kind: 'ScalingPolicy', metadata: { name: 'x' }, spec: { ...short, signals: [], standardSignals: { contract: 'matcher.plimsoll.dev/v1', prometheus: { selector: 'namespace="shop"} or vector(1) #' } } } });
  assert.equal(refused.valid, false);
  assert.match(refused.problems.map((p) => `${p.path}: ${p.message}`).join('\n'), /standardSignals\.prometheus\.selector: must be PromQL label matchers/);
});

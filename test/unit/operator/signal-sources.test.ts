// Issue 16: a policy reads only the signal sources the administrator registered. The registry is
// parsed once at start-up (OPERATOR_SIGNAL_SOURCES_FILE); a policy names a source or takes the
// default, and the deprecated address fields count only when they name a registered one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { scalingPolicySpecSchema, type ScalingPolicySpecInput } from '../../../src/plimsoll/api/scaling-policy.js';
import { loadOperatorConfig } from '../../../src/plimsoll/config/operator.js';
import type { SignalSources } from '../../../src/plimsoll/config/signal-sources.js';
import { isPlimsollError } from '../../../src/plimsoll/errors.js';
import { configMapRefusal } from '../../../src/plimsoll/operator/configmap-ownership.js';
import { createSignalRegistry, defaultSignalOptions, type SignalContext } from '../../../src/plimsoll/operator/signals/index.js';
import { createLogger } from '../../../src/plimsoll/observability/logger.js';
import { resolvePgBouncer, resolvePrometheus, unregisteredSources } from '../../../src/plimsoll/operator/sources/resolve.js';
import { secretFile } from '../../support/signal-sources.js';

const sources: SignalSources = {
  prometheus: [{ name: 'main', address: 'http://prometheus.monitoring:9090', default: true }, { name: 'other', address: 'http://other:9090', default: false }],
  pgbouncer: [{ name: 'main', host: 'pgbouncer', port: 6432, user: 'admin', passwordFile: '/etc/pw', default: true }],
  health: [],
};

const spec = (signals: ScalingPolicySpecInput['signals']) =>
  scalingPolicySpecSchema.parse({ targetRef: { name: 'm' }, replicas: { max: 3 }, signals });

test('a Prometheus signal reads the named server, the default, or a registered address; never another', () => {
  const read = (p: object) => resolvePrometheus({ query: 'q', timeoutSeconds: 5, emptyResult: 'Missing', ...p }, sources);
  assert.deepEqual(read({ server: 'other' }), { ok: true, value: sources.prometheus[1] });
  assert.deepEqual(read({}), { ok: true, value: sources.prometheus[0] });
  assert.deepEqual(read({ serverAddress: 'http://other:9090/' }), { ok: true, value: sources.prometheus[1] }, 'the old form still works for a registered address');
  assert.deepEqual(read({ serverAddress: 'http://169.254.169.254' }),
    { ok: false, field: 'serverAddress', rule: 'not a registered Prometheus server; registered: main, other (name one with server)' });
  assert.equal(read({ server: 'nope' }).ok, false);
  assert.deepEqual(resolvePrometheus({ query: 'q', timeoutSeconds: 5, emptyResult: 'Missing' }, { ...sources, prometheus: [] }),
    { ok: false, field: 'server', rule: 'unset, and no default Prometheus server is registered; registered: (none)' });
});

test('a PgBouncer signal reads a registered endpoint or the policy\'s own Secret (consent is checked when read)', () => {
  const base = { database: 'app', metric: 'ClientsWaiting' as const };
  assert.deepEqual(resolvePgBouncer(base, sources), { ok: true, value: { endpoint: sources.pgbouncer[0] } });
  assert.deepEqual(resolvePgBouncer({ ...base, secretRef: { name: 's', key: 'uri' } }, sources), { ok: true, value: { secretRef: { name: 's', key: 'uri' } } });
  assert.deepEqual(resolvePgBouncer({ ...base, source: 'elsewhere' }, sources), { ok: false, field: 'source', rule: 'not a registered PgBouncer endpoint; registered: main' });
});

test('every unregistered source of a policy is named by its field path and rule', () => {
  const problems = unregisteredSources(spec([
    { name: 'a', prometheus: { query: 'q' } },
    { name: 'b', prometheus: { serverAddress: 'http://127.0.0.1:1', query: 'q' } },
    { name: 'c', health: { field: 'heap' } },
    { name: 'd', health: { url: 'http://10.0.0.1/x', field: 'heap' } },
  ]), sources);
  assert.deepEqual(problems.map((p) => p.path), ['spec.signals[1].prometheus.serverAddress', 'spec.signals[3].health.url']);
  assert.match(problems[0]!.message, /^not a registered Prometheus server; registered: main, other/);
});

test('the registry file: YAML parsed and validated once at start-up; names unique, one default', () => {
  const file = secretFile('prometheus:\n  - { name: main, address: "http://p:9090", default: true }\npgbouncer:\n  - { name: pgb, host: pgbouncer, user: admin, passwordFile: /etc/pw }\n', 'sources.yaml');
  const config = loadOperatorConfig({ OPERATOR_SIGNAL_SOURCES_FILE: file });
  assert.deepEqual(config.signalSources.prometheus, [{ name: 'main', address: 'http://p:9090', default: true }]);
  assert.equal(config.signalSources.pgbouncer[0]!.port, 6432);
  assert.deepEqual(loadOperatorConfig({}).signalSources, { prometheus: [], pgbouncer: [], health: [] }, 'unset: nothing registered');
  const twoDefaults = secretFile('prometheus:\n  - { name: a, address: "http://a", default: true }\n  - { name: b, address: "http://b", default: true }\n', 'bad.yaml');
  assert.throws(() => loadOperatorConfig({ OPERATOR_SIGNAL_SOURCES_FILE: twoDefaults }), (e: unknown) => isPlimsollError(e) && e.code === 'CONFIG_INVALID' && e.problems.some((p) => p.path === 'signalSources.prometheus'));
  assert.throws(() => loadOperatorConfig({ OPERATOR_SIGNAL_SOURCES_FILE: '/nonexistent/sources.yaml' }), (e: unknown) => isPlimsollError(e) && e.code === 'CONFIG_INVALID');
});

test('a ConfigMap is the policy\'s own only with the operator\'s labels and its owner reference', () => {
  const ours = {
    metadata: {
      name: 'p-runtime', labels: { 'app.kubernetes.io/managed-by': 'plimsoll', 'plimsoll.dev/policy': 'p' },
      ownerReferences: [{ apiVersion: 'plimsoll.dev/v1alpha1', kind: 'ScalingPolicy', name: 'p', uid: 'u', controller: true }],
    },
  };
  assert.equal(configMapRefusal(undefined, 'p'), undefined, 'none exists: it is created');
  assert.equal(configMapRefusal(ours, 'p'), undefined);
  assert.match(configMapRefusal(ours, 'q') ?? '', /^spec\.runtime\.configMapName: ConfigMap p-runtime exists and was not created by Plimsoll for this policy/, 'another policy\'s document');
  assert.ok(configMapRefusal({ metadata: { name: 'settings' } }, 'p'), 'someone\'s own ConfigMap');
  assert.ok(configMapRefusal({ metadata: { ...ours.metadata, ownerReferences: [] } }, 'p'), 'the labels alone are not ownership');
});

test('a registered Prometheus that redirects: the redirect is not followed, its target sees no request', async (t) => {
  let followed = 0;
  const listen = async (server: Server) => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => server.close(() => r())));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const elsewhere = await listen(createServer((_req, res) => { followed++; res.end('{}'); }));
  const redirecting = await listen(createServer((_req, res) => { res.writeHead(302, { location: `${elsewhere}/api/v1/query?query=up` }).end(); }));
  const registry = createSignalRegistry({ ...defaultSignalOptions, sources: { prometheus: [{ name: 'main', address: redirecting, default: true }], pgbouncer: [], health: [] } });
  const context = { namespace: 'n', policyName: 'p', targetName: 'd', logger: createLogger({ name: 't', level: 'silent' }), readyEndpoints: async () => [], secretValue: async () => '' } as SignalContext;
  await assert.rejects(registry.prometheus.read({ query: 'up', timeoutSeconds: 2, emptyResult: 'Missing' }, context),
    (e: unknown) => isPlimsollError(e) && e.code === 'SIGNAL_FETCH_FAILED' && /HTTP 302/.test(e.message));
  assert.equal(followed, 0);
  await assert.rejects(registry.prometheus.read({ serverAddress: elsewhere, query: 'up', timeoutSeconds: 2, emptyResult: 'Missing' }, context),
    (e: unknown) => isPlimsollError(e) && e.code === 'SIGNAL_SOURCE_NOT_REGISTERED', 'an unregistered address is not asked, even past the reconciler');
  assert.equal(followed, 0);
});

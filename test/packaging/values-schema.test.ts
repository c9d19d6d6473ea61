// Bad values are refused before anything reaches the cluster, with a message that names the
// field: values.schema.json for types, ranges, enums, patterns and typos; the templates' `fail`
// and `required` for rules that span fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHART_DIR, helm } from './support.js';

async function refusal(set: string[]): Promise<string> {
  const args = ['template', 'plimsoll', CHART_DIR, '--namespace', 'plimsoll-system'];
  for (const s of set) args.push('--set', s);
  const result = await helm(args, { allowFailure: true });
  assert.notEqual(result.code, 0, `helm accepted ${set.join(' ')}`);
  return result.stderr;
}

test('the defaults and a valid override render', async () => {
  const { code } = await helm(['template', 'plimsoll', CHART_DIR, '--set', 'operator.replicaCount=3', '--set', 'matcher.enabled=true'], { allowFailure: true });
  assert.equal(code, 0);
});

const schemaCases: { set: string[]; field: string; says: RegExp }[] = [
  { set: ['operator.replicaCount=0'], field: '/operator/replicaCount', says: /minimum: got 0, want 1/ },
  { set: ['operator.logLevel=loud'], field: '/operator/logLevel', says: /must be one of 'fatal', 'error', 'warn', 'info'/ },
  { set: ['operator.replicas=3'], field: '/operator', says: /additional properties 'replicas' not allowed/ },
  { set: ['operator.watchNamespace=Team_A'], field: '/operator/watchNamespace', says: /does not match pattern/ },
  { set: ['operator.watchNamespaces={shop,Team_A}'], field: '/operator/watchNamespaces/1', says: /does not match pattern/ },
  { set: ['operator.watchNamespaces={shop,shop}'], field: '/operator/watchNamespaces', says: /items at 0 and 1 are equal/ },
  { set: ['operator.signalSources.prometheus[0].name=main', 'operator.signalSources.prometheus[0].address=http://p:9090', 'operator.signalSources.prometheus[0].networkPeers[0].podselector.app=p'], field: '/operator/signalSources/prometheus/0/networkPeers/0', says: /additional properties 'podselector' not allowed/ },
  { set: ['operator.leaderElection.leaseDurationMs=fast'], field: '/operator/leaderElection/leaseDurationMs', says: /got string, want integer/ },
  { set: ['operator.resources.limits=null'], field: '/operator/resources', says: /missing property 'limits'/ },
  { set: ['matcher.name=Bad_Name'], field: '/matcher/name', says: /does not match pattern/ },
  { set: ['matcher.image.pullPolicy=Sometimes'], field: '/matcher/image/pullPolicy', says: /must be one of 'Always', 'IfNotPresent', 'Never'/ },
  { set: ['matcher.connections.redisUrl=http://cache:6379'], field: '/matcher/connections/redisUrl', says: /does not match pattern/ },
  { set: ['matcher.config.matcher_log_level=info'], field: '/matcher/config', says: /additional properties 'matcher_log_level' not allowed/ },
  { set: ['examplePolicy.mode=Auto'], field: '/examplePolicy/mode', says: /must be one of 'Enforce', 'DryRun'/ },
  { set: ['examplePolicy.connectionBudget.safetyFactor=2'], field: '/examplePolicy/connectionBudget/safetyFactor', says: /maximum: got 2, want 1/ },
  { set: ['monitoring.serviceMonitor.interval=soon'], field: '/monitoring/serviceMonitor/interval', says: /does not match pattern/ },
  { set: ['monitoring.prometheusRule.for.maintenance=2 minutes'], field: '/monitoring/prometheusRule/for/maintenance', says: /does not match pattern/ },
  { set: ['networkPolicy.apiServer.cidrs[0]=kubernetes.default'], field: '/networkPolicy/apiServer/cidrs/0', says: /does not match pattern/ },
  { set: ['networkPolicy.apiServer.ports[0]=70000'], field: '/networkPolicy/apiServer/ports/0', says: /maximum: got 70,?000, want 65,?535/ },
  { set: ['networkPolicy.prometheus.peers[0].podselector.app=prometheus'], field: '/networkPolicy/prometheus/peers/0', says: /additional properties 'podselector' not allowed/ },
  { set: ['networkPolicy.enable=true'], field: '/networkPolicy', says: /additional properties 'enable' not allowed/ },
];

for (const c of schemaCases) {
  test(`values.schema.json refuses ${c.set.join(' ')} naming ${c.field}`, async () => {
    const message = await refusal(c.set);
    assert.match(message, /values don't meet the specifications of the schema/, message);
    assert.ok(message.includes(`at '${c.field}'`), `the message does not name ${c.field}:\n${message}`);
    assert.match(message, c.says);
  });
}

const templateCases: { set: string[]; says: RegExp }[] = [
  { set: ['operator.leaderElection.renewDeadlineMs=20000'], says: /operator\.leaderElection: need retryPeriodMs \(2000\) < renewDeadlineMs \(20000\) < leaseDurationMs \(15000\)/ },
  { set: ['operator.leaderElection.enabled=false'], says: /operator\.replicaCount > 1 needs operator\.leaderElection\.enabled/ },
  { set: ['matcher.enabled=true', 'matcher.maxHeapMb=400'], says: /matcher\.maxHeapMb \(400\) must exceed matcher\.config\.MATCHER_ADMISSION_HEAP_MB \(450\)/ },
  { set: ['examplePolicy.enabled=true'], says: /examplePolicy\.enabled needs matcher\.enabled/ },
  { set: ['matcher.enabled=true', 'matcher.existingSecret='], says: /matcher\.connections\.databaseUrl is required when matcher\.existingSecret is empty/ },
  { set: ['operator.serviceAccount.create=false'], says: /operator\.serviceAccount\.name is required when operator\.serviceAccount\.create is false/ },
];

for (const c of templateCases) {
  test(`the templates refuse ${c.set.join(' ')} with a message naming the values`, async () => {
    assert.match(await refusal(c.set), c.says);
  });
}

// The control plane itself: the release it reports, its components and the fake nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { ensureCluster, REPO_ROOT } from '../support/cluster.js';

test('the local API server reports the Kubernetes release tools/kube-local is pinned to', async (t) => {
  const cluster = await ensureCluster();
  if (!cluster.local) return t.skip('KUBECONFIG points at another cluster');
  const goMod = readFileSync(join(REPO_ROOT, 'tools', 'kube-local', 'go.mod'), 'utf8');
  const pinned = /^\s*k8s\.io\/kubernetes (v\d+\.\d+\.\d+)\s*$/m.exec(goMod)?.[1];
  assert.ok(pinned, 'go.mod requires k8s.io/kubernetes');
  const { stdout } = await cluster.kubectl(['get', '--raw', '/version']);
  const version = JSON.parse(stdout) as { gitVersion: string; major: string; minor: string };
  assert.equal(version.gitVersion, pinned);
  assert.equal(`v${version.major}.${version.minor}`, pinned.split('.').slice(0, 2).join('.'));
});

test('the API server is ready and RBAC is on', async () => {
  const cluster = await ensureCluster();
  const { stdout } = await cluster.kubectl(['get', '--raw', '/readyz?verbose']);
  assert.match(stdout, /readyz check passed/);
  const { stdout: groups } = await cluster.kubectl(['api-versions']);
  assert.match(groups, /^rbac\.authorization\.k8s\.io\/v1$/m);
});

test('the fake nodes are Ready with their capacity', async (t) => {
  const cluster = await ensureCluster();
  if (!cluster.local) return t.skip('KUBECONFIG points at another cluster');
  const core = cluster.kubeConfig().makeApiClient(k8s.CoreV1Api);
  const nodes = await core.listNode({ labelSelector: 'type=kwok' });
  assert.ok(nodes.items.length >= 3, `expected 3 fake nodes, got ${nodes.items.length}`);
  for (const node of nodes.items) {
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True', `node ${node.metadata?.name} Ready`);
    assert.equal(node.status?.allocatable?.cpu, '8');
    assert.equal(node.status?.allocatable?.memory, '32Gi');
    assert.equal(node.status?.allocatable?.pods, '110');
  }
});

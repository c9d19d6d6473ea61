// The local pod network namespace (tools/stack/pod-network.sh) for a test file that runs replica
// processes. It belongs to the cluster, as a CNI plugin's network would: `make cluster` makes it
// and `make cluster-down` removes it. A test checks and repairs it, and never removes it, since
// the local stack's replicas and the other test file running beside it may be using it.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './cluster.js';

export function ensurePodNetwork(): void {
  execFileSync('bash', [join(REPO_ROOT, 'tools', 'stack', 'pod-network.sh'), 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

// Test support for tiers that need a real Kubernetes API server (docs/local-cluster.md).
//
//   const cluster = await ensureCluster();       // KUBECONFIG if set, else `make cluster`
//   await withNamespace(t, async (ns) => { ... }); // a fresh namespace, deleted afterwards
//
// With KUBECONFIG set, every helper uses that cluster and never starts the local one; tests that
// must restart a component (startApiServerReplica) skip themselves there (cluster.local false).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import * as k8s from '@kubernetes/client-node';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const LOCAL_DIR = join(REPO_ROOT, '.local');
export const LOCAL_KUBECONFIG = join(LOCAL_DIR, 'kubeconfig');

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** Written to kubectl's standard input (for `-f -`). */
  input?: string;
  /** Resolve with a non-zero exit code instead of throwing. */
  allowFailure?: boolean;
  /** Another kubeconfig than the cluster's (e.g. a ServiceAccount's). */
  kubeconfigPath?: string;
  timeoutMs?: number;
}

export interface Cluster {
  /** The kubeconfig every helper and kubectl call uses. */
  kubeconfigPath: string;
  /** True for the cluster under .local/ that `make cluster` runs; false for KUBECONFIG's. */
  local: boolean;
  /** The kubectl binary used: KUBECTL, else .local/bin/kubectl if built, else the machine's. */
  kubectlBin: string;
  /** A fresh KubeConfig for @kubernetes/client-node, loaded from kubeconfigPath. */
  kubeConfig(): k8s.KubeConfig;
  /** Run kubectl against the cluster; throws on a non-zero exit unless allowFailure. */
  kubectl(args: string[], options?: KubectlOptions): Promise<CommandResult>;
}

/** Run a command; never throws for its exit code (the caller decides). */
export function run(
  command: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; echo?: boolean } = {},
): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (options.echo) process.stderr.write(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (options.echo) process.stderr.write(chunk);
    });
    const timer = options.timeoutMs
      ? setTimeout(() => child.kill('SIGTERM'), options.timeoutMs)
      : undefined;
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // the command may exit without reading its input
    child.stdin.end(options.input ?? '');
  });
}

function kubectlBinary(): string {
  const fromEnv = process.env.KUBECTL;
  if (fromEnv) return fromEnv;
  const built = join(LOCAL_DIR, 'bin', 'kubectl');
  return existsSync(built) ? built : 'kubectl';
}

function makeCluster(kubeconfigPath: string, local: boolean): Cluster {
  const kubectlBin = kubectlBinary();
  return {
    kubeconfigPath,
    local,
    kubectlBin,
    kubeConfig() {
      const kc = new k8s.KubeConfig();
      if (local) kc.loadFromFile(kubeconfigPath);
      else kc.loadFromDefault(); // honours a KUBECONFIG list of files, like kubectl
      return kc;
    },
    async kubectl(args, options = {}) {
      const env = { ...process.env, KUBECONFIG: options.kubeconfigPath ?? kubeconfigPath };
      const result = await run(kubectlBin, args, {
        env,
        ...(options.input !== undefined ? { input: options.input } : {}),
        timeoutMs: options.timeoutMs ?? 120_000,
      });
      if (result.code !== 0 && !options.allowFailure) {
        throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
      }
      return result;
    },
  };
}

let clusterPromise: Promise<Cluster> | undefined;

/**
 * The cluster the tests run against: KUBECONFIG's when the user set one, else the local one,
 * reused when it answers /readyz and otherwise started (and built, the first time) by
 * `make cluster`. Memoised per process.
 */
export function ensureCluster(): Promise<Cluster> {
  clusterPromise ??= (async () => {
    const userKubeconfig = process.env.KUBECONFIG;
    // KUBECONFIG=.local/kubeconfig (as docs/local-cluster.md suggests) is the local cluster.
    if (userKubeconfig && resolve(userKubeconfig) !== LOCAL_KUBECONFIG) {
      const cluster = makeCluster(userKubeconfig, false);
      await cluster.kubectl(['get', '--raw', '/readyz'], { timeoutMs: 30_000 });
      return cluster;
    }
    const cluster = makeCluster(LOCAL_KUBECONFIG, true);
    if (existsSync(LOCAL_KUBECONFIG)) {
      const ready = await cluster.kubectl(['get', '--raw', '/readyz'], { allowFailure: true, timeoutMs: 15_000 });
      if (ready.code === 0) return cluster;
    }
    const started = await run('make', ['--no-print-directory', 'cluster'], { echo: true });
    if (started.code !== 0) {
      throw new Error(`make cluster failed (exit ${started.code}); see .local/logs/`);
    }
    return cluster;
  })();
  clusterPromise.catch(() => {
    clusterPromise = undefined;
  });
  return clusterPromise;
}

/**
 * Apply crds/ (server-side, idempotent; CRDs are cluster-scoped, so every test file may call
 * it) and wait until each CRD is Established. Returns the CRD names.
 */
export async function installCrds(cluster?: Cluster): Promise<string[]> {
  const c = cluster ?? (await ensureCluster());
  const dir = join(REPO_ROOT, 'crds');
  const { stdout } = await c.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=plimsoll-tests',
    '-f', dir, '-o', 'name']);
  const names = stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('customresourcedefinition'));
  for (const name of names) {
    await c.kubectl(['wait', '--for=condition=Established', '--timeout=60s', name]);
  }
  return names.map((n) => n.replace(/^[^/]+\//, ''));
}

export interface TestNamespace {
  name: string;
  /** Delete the namespace (does not wait for its finalisation). Safe to call twice. */
  delete(): Promise<void>;
}

function slug(text: string): string {
  const cleaned = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return cleaned.slice(0, 30).replace(/-+$/g, '') || 'test';
}

/**
 * A fresh namespace `pt-<prefix>-<random>`, labelled plimsoll.dev/test=true, with its default
 * ServiceAccount already created (so pods can be admitted at once).
 */
export async function createTestNamespace(prefix = 'test'): Promise<TestNamespace> {
  const cluster = await ensureCluster();
  const core = cluster.kubeConfig().makeApiClient(k8s.CoreV1Api);
  const name = `pt-${slug(prefix)}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({
    body: { metadata: { name, labels: { 'plimsoll.dev/test': 'true' } } },
  });
  await waitFor(`ServiceAccount default in ${name}`, async () => {
    try {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: name });
      return true;
    } catch {
      return false;
    }
  }, { timeoutMs: 30_000 });
  let deleted = false;
  return {
    name,
    async delete() {
      if (deleted || process.env.PLIMSOLL_KEEP_NAMESPACES) return;
      deleted = true;
      try {
        await core.deleteNamespace({ name, propagationPolicy: 'Background' });
      } catch (err) {
        if (!(err instanceof k8s.ApiException && err.code === 404)) throw err;
      }
    },
  };
}

/**
 * Run fn in a fresh namespace named after the test, deleted after the test whatever happens
 * (set PLIMSOLL_KEEP_NAMESPACES=1 to keep it for debugging).
 */
export async function withNamespace<T>(
  t: TestContext,
  fn: (namespace: string, cluster: Cluster) => Promise<T>,
): Promise<T> {
  const cluster = await ensureCluster();
  const ns = await createTestNamespace(t.name);
  t.after(() => ns.delete());
  return fn(ns.name, cluster);
}

/** Poll until check returns a truthy value; throws with the description after the timeout. */
export async function waitFor<T>(
  description: string,
  check: () => Promise<T | undefined | null | false>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${cause}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface ApiServerReplica {
  name: string;
  port: number;
  /** Admin kubeconfig pointing at this apiserver only. */
  kubeconfigPath: string;
  kubeConfig(): k8s.KubeConfig;
  /** Stop the process (SIGTERM) and start it again on the same port; resolves when ready. */
  restart(): Promise<void>;
  /** Stop it (SIGTERM, SIGKILL after 10 s): connections to it drop. */
  stop(): Promise<void>;
  /** Start it again after stop(); resolves when /readyz passes. */
  start(): Promise<void>;
}

/**
 * A second kube-apiserver of the local cluster (same etcd, flags and certificates) on its own
 * port, for tests that restart an apiserver without disturbing the main one that other test
 * files use in parallel. Local cluster only: check cluster.local first. Stopped after the test.
 */
export async function startApiServerReplica(t: TestContext, port: number): Promise<ApiServerReplica> {
  const cluster = await ensureCluster();
  if (!cluster.local) throw new Error('startApiServerReplica needs the local cluster (KUBECONFIG is set)');
  const name = `apiserver-replica-${port}`;
  const script = join(REPO_ROOT, 'tools', 'cluster', 'apiserver-replica.sh');
  const call = async (args: string[]) => {
    const result = await run(script, args, { timeoutMs: 180_000 });
    if (result.code !== 0) throw new Error(`apiserver-replica.sh ${args.join(' ')}: ${result.stderr || result.stdout}`);
  };
  await call(['start', name, String(port)]);
  const kubeconfigPath = join(LOCAL_DIR, `${name}.kubeconfig`);
  const replica: ApiServerReplica = {
    name,
    port,
    kubeconfigPath,
    kubeConfig() {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(kubeconfigPath);
      return kc;
    },
    async restart() {
      await call(['stop', name]);
      await call(['start', name, String(port)]);
    },
    stop: () => call(['stop', name]),
    start: () => call(['start', name, String(port)]),
  };
  t.after(() => replica.stop());
  return replica;
}

/**
 * A kubeconfig file for a ServiceAccount that may do exactly `rules` in the namespace (a Role and
 * RoleBinding), with a fresh token: how a governed replica reaches the API server. The file is
 * removed after the test.
 */
export async function serviceAccountKubeconfig(
  t: TestContext, cluster: Cluster, namespace: string, name: string, rules: k8s.V1PolicyRule[],
): Promise<string> {
  const admin = cluster.kubeConfig();
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name }, rules } });
  await rbac.createNamespacedRoleBinding({ namespace, body: {
    metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace }],
  } });
  const token = (await core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } })).status?.token;
  if (!token) throw new Error(`no token for ServiceAccount ${namespace}/${name}`);
  const sa = new k8s.KubeConfig();
  sa.loadFromOptions({ clusters: [{ ...admin.getCurrentCluster()!, name: 'c' }], users: [{ name, token }], contexts: [{ name, cluster: 'c', user: name }], currentContext: name });
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-kc-'));
  const path = join(dir, 'kubeconfig');
  writeFileSync(path, sa.exportConfig());
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return path;
}

/** The HTTP status the API server answered a request with: 200, or the ApiException's code (403, 404, …). */
export async function statusOf(request: Promise<unknown>): Promise<number> {
  try {
    await request;
    return 200;
  } catch (err) {
    if (err instanceof k8s.ApiException) return err.code;
    throw err;
  }
}

/**
 * DEVELOPMENT HARNESS — not part of the product. The replica runner mirrors one Deployment's
 * pods into real processes on this machine, as a kubelet would run their containers:
 *
 *   Deployment + Pods (watch) ──▶ reconcile ──▶ one process per Running pod, bound to <podIP>:<port>
 *                                                 inside the pod network namespace (pod-network.ts)
 *                                                 env from the pod spec (envFrom, env, downward API)
 *                                                 KUBECONFIG = a TokenRequest token of the pod's ServiceAccount
 *        readiness probe (/readyz) ──▶ load balancer upstreams, Prometheus file_sd targets
 *
 * kwok plays the kubelet for the API (pods become Running with an IP at once); this runner puts
 * real capacity behind those pods, so when the operator scales the Deployment, matcher
 * processes start or drain. A pod that goes away gets SIGTERM (the matcher drains), SIGKILL
 * after the pod's terminationGracePeriodSeconds. A process that dies while its pod exists is
 * restarted with exponential backoff (CrashLoopBackOff). Processes survive a runner restart
 * and are adopted by the next one (records in `<stateDir>/replicas/`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../../../src/plimsoll/observability/logger.js';
import { Watcher } from '../../../src/plimsoll/operator/watcher.js';
import { backoffDelay } from '../../../src/plimsoll/shared/backoff.js';
import { recordReadiness, recordRunning, recordTermination, termination, type Termination } from './container-status.js';
import { LoadBalancer } from './load-balancer.js';
import { containerLimits, PodCgroup, sweepCgroups, withHeapLimit, type CgroupSettings, type ContainerLimits } from './pod-cgroup.js';
import { containerEnv, matchesSelector, referencedObjects } from './pod-env.js';
import { addPodAddress, insidePodNetwork, removePodAddress } from './pod-network.js';
import { PrometheusTargets } from './prometheus-targets.js';
import { ReplicaProcess } from './replica-process.js';
import { requestToken, tokenKubeconfig } from './service-account-kubeconfig.js';

export interface ReplicaRunnerOptions {
  /** Admin credentials: the runner plays the kubelet (reads Secrets, requests tokens). */
  kubeConfig: k8s.KubeConfig;
  namespace: string;
  deployment: string;
  /** The container to run (default: the first). */
  container?: string;
  /** The image's entrypoint: the container's args follow it (the matcher image's: node dist/src/matcher/cli/bin.js). */
  entrypoint: string[];
  /** The image's CMD: the args of a container that sets none (default ["serve"], the matcher image's). */
  defaultArgs?: string[];
  /** Working directory of the processes (the repository root). */
  cwd: string;
  /** Variables every process gets before the pod's own (PATH, HOME: what an image sets). */
  baseEnv?: Record<string, string>;
  /** Records of running processes and their kubeconfigs. */
  stateDir: string;
  /** `matcher-<pod>.log` per process. */
  logDir: string;
  /** Prometheus file_sd directory; absent: no targets written. */
  targetsDir?: string;
  /**
   * The network namespace the pods live in (tools/stack/pod-network.sh up creates it): each
   * process runs inside it and its pod's IP is added there.
   */
  podNetwork: string;
  /** The load balancer's address; absent: none (port 0 picks a free port). */
  loadBalancer?: { host: string; port: number };
  /**
   * The variable naming the listen address, set to the pod IP: 0.0.0.0 inside a pod's own network
   * namespace means the pod's IP, but here every replica shares the one pod network namespace.
   */
  listenAddressEnv?: string;
  logger: Logger;
  tokenExpirationSeconds?: number;
  probeIntervalMs?: number;
  restartBackoffMs?: { min: number; max: number };
  /**
   * Resource limits become cgroup limits (pod-cgroup.ts). `require`: a limit this machine cannot
   * enforce fails the start, naming what is missing; `warn` (default): the replica runs without
   * it, and the log and /status say so.
   */
  cgroups?: 'require' | 'warn';
  /** The parent of the pods' cgroups under each hierarchy (default plimsoll). */
  cgroupParent?: string;
  /** The CFS period CPU limits are a share of, µs (the kubelet's cpuCFSQuotaPeriod; default 100 ms). */
  cpuCfsPeriodUs?: number;
}

type Phase = 'Starting' | 'Running' | 'BackOff' | 'Stopping';

interface Replica {
  uid: string;
  pod: string;
  ip: string;
  port: number;
  probe: { path: string; port: number };
  graceMs: number;
  preStopMs: number;
  phase: Phase;
  ready: boolean;
  /** Stopping, in its preStop: still serves, but only when no replica is ready. */
  servingWhileTerminating: boolean;
  restarts: number;
  crashes: number;
  process?: ReplicaProcess;
  /** A running init container (killed when the pod goes away meanwhile). */
  init?: ChildProcess;
  lastError?: string;
  /** The container the runner runs, its limits as the spec writes them, what cgroups could not enforce. */
  container: string;
  limits: { cpu: string | null; memory: string | null };
  cgroupWarning?: string;
  lastTermination?: Termination;
  /** Pod status updates, one after the other. */
  statusUpdates?: Promise<void>;
  probeTimer?: NodeJS.Timeout;
  backoffTimer?: NodeJS.Timeout;
  stopping?: Promise<void>;
  targetWritten: boolean;
}

export interface ReplicaStatus {
  pod: string;
  address: string;
  pid: number | null;
  phase: Phase;
  ready: boolean;
  restarts: number;
  lastError: string | null;
  logFile: string;
  /** The container's limits as the pod spec writes them; null: none. */
  cpuLimit: string | null;
  memoryLimit: string | null;
  /** The process's cgroup as the kernel holds it now (paths, quota, limit, usage, OOM kills); null: none. */
  cgroup: CgroupSettings | null;
  /** A limit this machine does not enforce, and why. */
  cgroupWarning: string | null;
  /** How the container last ended (the pod status's lastState.terminated): OOMKilled, Error, Completed. */
  lastTermination: { reason: string; exitCode: number; finishedAt: string } | null;
}

export interface RunnerStatus {
  namespace: string;
  deployment: string;
  deploymentFound: boolean;
  desiredReplicas: number | null;
  /** The network namespace the replicas run in. */
  podNetwork: string;
  loadBalancer: ReturnType<LoadBalancer['stats']> & { url: string } | null;
  replicas: ReplicaStatus[];
}

const POD_OWNER = (deployment: string) => new RegExp(`^${deployment.replace(/[.]/g, '\\.')}-[a-z0-9]+$`);

export class ReplicaRunner {
  private readonly replicas = new Map<string, Replica>();
  private readonly adoptable = new Map<string, ReplicaProcess>();
  private readonly deployments: Watcher<k8s.V1Deployment>;
  private readonly pods: Watcher<k8s.V1Pod>;
  private readonly core: k8s.CoreV1Api;
  private readonly lb: LoadBalancer | undefined;
  private readonly targets: PrometheusTargets | undefined;
  private readonly log: Logger;
  private reconcileScheduled = false;
  private stopped = false;
  private synced = false;

  constructor(private readonly options: ReplicaRunnerOptions) {
    const { kubeConfig, namespace, logger } = options;
    this.log = logger;
    this.core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    const apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
    const onEvent = () => this.scheduleReconcile();
    this.deployments = new Watcher<k8s.V1Deployment>({
      name: 'deployments', kubeConfig, logger, onEvent,
      path: `/apis/apps/v1/namespaces/${namespace}/deployments`,
      list: () => apps.listNamespacedDeployment({ namespace }),
    });
    this.pods = new Watcher<k8s.V1Pod>({
      name: 'pods', kubeConfig, logger, onEvent,
      path: `/api/v1/namespaces/${namespace}/pods`,
      list: () => this.core.listNamespacedPod({ namespace }),
    });
    if (options.loadBalancer) this.lb = new LoadBalancer({ hint: () => this.hint(), onUpstreamFailure: (id, err) => this.upstreamFailed(id, err) });
    if (options.targetsDir) this.targets = new PrometheusTargets(options.targetsDir);
    mkdirSync(this.recordDir, { recursive: true });
    mkdirSync(options.logDir, { recursive: true });
  }

  private get recordDir(): string {
    return join(this.options.stateDir, 'replicas');
  }

  /** Adopts the processes a previous runner left, starts the load balancer and the watches. */
  async start(): Promise<void> {
    const mine = `${this.options.namespace}_`;
    for (const file of readdirSync(this.recordDir)) {
      if (!file.startsWith(mine) || !file.endsWith('.json')) continue;
      const process = ReplicaProcess.adopt(join(this.recordDir, file));
      if (process) {
        this.adoptable.set(process.record.podUid, process);
        this.log.info({ pod: process.record.pod, replicaPid: process.record.pid }, 'found a running replica process from a previous runner');
      }
    }
    // Pod cgroups a dead runner left without a running process (or with one it had no record of).
    const keep = new Set([...this.adoptable.values()].flatMap((p) => (p.record.cgroup ? [p.record.cgroup.name] : [])));
    const swept = await sweepCgroups({ prefix: mine, keep, ...(this.options.cgroupParent ? { parent: this.options.cgroupParent } : {}) })
      .catch((err: Error) => {
        this.log.warn({ err: err.message }, 'cannot remove the cgroups a previous runner left');
        return [];
      });
    if (swept.length > 0) this.log.info({ cgroups: swept }, 'removed cgroups left by a previous runner');
    if (this.lb && this.options.loadBalancer) {
      const url = await this.lb.listen(this.options.loadBalancer.port, this.options.loadBalancer.host);
      this.log.info({ url }, 'load balancer listening');
    }
    await Promise.all([this.deployments.start(), this.pods.start()]);
    this.synced = true;
    this.scheduleReconcile();
  }

  get loadBalancerUrl(): string | undefined {
    return this.lb?.url;
  }

  /** Stops every process gracefully (SIGTERM, then SIGKILL after the grace period) and the load balancer. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.deployments.stop(), this.pods.stop()]);
    const all = [...this.replicas.values()].map((r) => this.stopReplica(r, 'runner stopping'));
    all.push(...[...this.adoptable.values()].map((p) => p.stop(30_000).then(() => undefined)));
    this.adoptable.clear();
    await Promise.all(all);
    await this.lb?.close();
  }

  status(): RunnerStatus {
    const d = this.deployment();
    return {
      namespace: this.options.namespace,
      deployment: this.options.deployment,
      deploymentFound: d !== undefined,
      desiredReplicas: d?.spec?.replicas ?? null,
      podNetwork: this.options.podNetwork,
      loadBalancer: this.lb ? { url: this.lb.url, ...this.lb.stats() } : null,
      replicas: [...this.replicas.values()].map((r) => ({
        pod: r.pod, address: `${r.ip}:${r.port}`, pid: r.process?.running ? r.process.record.pid : null,
        phase: r.phase, ready: r.ready, restarts: r.restarts, lastError: r.lastError ?? null, logFile: this.logFile(r.pod),
        cpuLimit: r.limits.cpu, memoryLimit: r.limits.memory, cgroup: (r.process?.running && r.process.cgroup?.settings()) || null,
        cgroupWarning: r.cgroupWarning ?? null,
        lastTermination: r.lastTermination ? { reason: r.lastTermination.reason, exitCode: r.lastTermination.exitCode, finishedAt: r.lastTermination.finishedAt } : null,
      })).sort((a, b) => a.pod.localeCompare(b.pod)),
    };
  }

  private hint(): string {
    const all = [...this.replicas.values()];
    const d = this.deployment();
    if (!d) return `Deployment ${this.options.namespace}/${this.options.deployment} does not exist`;
    return `${all.filter((r) => r.ready).length} of ${all.length} replica processes ready (Deployment ${this.options.namespace}/${this.options.deployment} wants ${d.spec?.replicas ?? 1}); logs in ${this.options.logDir}`;
  }

  private kubeconfigFile(pod: string): string {
    return join(this.recordDir, `${this.options.namespace}_${pod}.kubeconfig`);
  }

  private logFile(pod: string): string {
    return join(this.options.logDir, `matcher-${pod}.log`);
  }

  private deployment(): k8s.V1Deployment | undefined {
    return this.deployments.get(`${this.options.namespace}/${this.options.deployment}`);
  }

  private scheduleReconcile(): void {
    if (this.reconcileScheduled || this.stopped || !this.synced) return;
    this.reconcileScheduled = true;
    queueMicrotask(() => {
      this.reconcileScheduled = false;
      if (!this.stopped) this.reconcile();
    });
  }

  /** The pods that should have a process: the Deployment's, Running, with an IP, not terminating. */
  private desiredPods(): Map<string, k8s.V1Pod> {
    const out = new Map<string, k8s.V1Pod>();
    const d = this.deployment();
    if (!d) return out;
    const owner = POD_OWNER(this.options.deployment);
    for (const pod of this.pods.values()) {
      const meta = pod.metadata;
      if (!meta?.uid || meta.deletionTimestamp) continue;
      if (!matchesSelector(meta.labels, d.spec?.selector)) continue;
      if (!meta.ownerReferences?.some((o) => o.kind === 'ReplicaSet' && owner.test(o.name))) continue;
      if (pod.status?.phase !== 'Running' || !pod.status.podIP) continue;
      out.set(meta.uid, pod);
    }
    return out;
  }

  private reconcile(): void {
    const desired = this.desiredPods();
    for (const [uid, pod] of desired) {
      const existing = this.replicas.get(uid);
      if (existing && existing.ip !== pod.status!.podIP) {
        void this.stopReplica(existing, 'pod IP changed').then(() => this.scheduleReconcile());
        continue;
      }
      if (!existing) this.startReplica(pod);
    }
    for (const replica of this.replicas.values()) {
      if (!desired.has(replica.uid) && replica.phase !== 'Stopping') void this.stopReplica(replica, 'pod gone or terminating');
    }
    // Processes of a previous runner whose pods are gone.
    for (const [uid, process] of this.adoptable) {
      if (desired.has(uid)) continue;
      this.adoptable.delete(uid);
      this.log.info({ pod: process.record.pod, replicaPid: process.record.pid }, 'stopping a leftover replica process: its pod is gone');
      void process.stop(30_000).then(() => {
        rmSync(this.kubeconfigFile(process.record.pod), { force: true });
        removePodAddress({ name: this.options.podNetwork }, process.record.ip);
      });
    }
  }

  private startReplica(pod: k8s.V1Pod): void {
    const spec = pod.spec!;
    const container = (this.options.container ? spec.containers.find((c) => c.name === this.options.container) : spec.containers[0]);
    const name = pod.metadata!.name!;
    const ports = container?.ports ?? [];
    const port = ports.find((p) => p.name === 'http')?.containerPort ?? ports[0]?.containerPort ?? 8080;
    const httpGet = container?.readinessProbe?.httpGet;
    const probePort = typeof httpGet?.port === 'number' ? httpGet.port : (ports.find((p) => p.name === httpGet?.port)?.containerPort ?? (Number(httpGet?.port) || port));
    const replica: Replica = {
      uid: pod.metadata!.uid!, pod: name, ip: pod.status!.podIP!, port,
      probe: { path: httpGet?.path ?? '/readyz', port: probePort },
      graceMs: (spec.terminationGracePeriodSeconds ?? 30) * 1000,
      preStopMs: (container?.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000,
      phase: 'Starting', ready: false, servingWhileTerminating: false, restarts: 0, crashes: 0, targetWritten: false,
      container: container?.name ?? '', limits: { cpu: container?.resources?.limits?.cpu ?? null, memory: container?.resources?.limits?.memory ?? null },
    };
    this.replicas.set(replica.uid, replica);
    if (!container) {
      replica.lastError = `pod ${name} has no container ${this.options.container}`;
      replica.phase = 'BackOff';
      this.log.error({ pod: name }, replica.lastError);
      return;
    }
    const adopted = this.adoptable.get(replica.uid);
    if (adopted && adopted.record.ip === replica.ip) {
      this.adoptable.delete(replica.uid);
      this.log.info({ pod: name, replicaPid: adopted.record.pid }, 'adopted the running replica process');
      this.attach(replica, adopted);
      return;
    }
    void this.launch(replica, pod, container);
  }

  private async launch(replica: Replica, pod: k8s.V1Pod, container: k8s.V1Container): Promise<void> {
    replica.phase = 'Starting';
    const current = () => this.replicas.get(replica.uid) === replica && replica.phase === 'Starting';
    try {
      // kwok hands a deleted pod's IP to the next pod at once, while the old pod's replica may
      // still be in its grace period and hold the address: wait for it to stop (and release the
      // address), as a node's IPAM would not have given the address out before that.
      const holder = [...this.replicas.values()].find((r) => r !== replica && r.ip === replica.ip && r.stopping);
      if (holder) {
        this.log.info({ pod: replica.pod, address: replica.ip, holder: holder.pod }, 'waiting for the previous holder of the pod IP to stop');
        await holder.stopping;
        if (!current()) return;
      }
      const kubeconfig = await this.tokenKubeconfig(pod, replica);
      // Init containers first, in order, each to a successful exit (the matcher's runs migrations).
      for (const init of pod.spec?.initContainers ?? []) {
        const env = await this.environment(pod, init, replica, kubeconfig);
        if (!current()) return;
        await this.runInit(replica, init, env);
      }
      const limits = containerLimits(container);
      const env = withHeapLimit(await this.environment(pod, container, replica, kubeconfig), limits);
      if (!current()) return;
      const cgroup = await this.podCgroup(replica, limits);
      if (!current()) return void cgroup.remove().catch(() => undefined);
      const argv = this.inPodNetwork(replica, [...this.options.entrypoint, ...(container.args ?? this.options.defaultArgs ?? ['serve'])]);
      if (container.command?.length) this.log.debug({ pod: replica.pod, command: container.command }, 'the container command is replaced by the local entrypoint');
      const process = ReplicaProcess.spawn({
        namespace: this.options.namespace, pod: replica.pod, podUid: replica.uid, ip: replica.ip, port: replica.port, argv,
        logFile: this.logFile(replica.pod), env, cwd: this.options.cwd, recordFile: join(this.recordDir, `${this.options.namespace}_${replica.pod}.json`), cgroup,
      });
      this.log.info({ pod: replica.pod, replicaPid: process.record.pid, address: `${replica.ip}:${replica.port}`, log: process.record.logFile }, 'replica process started');
      this.attach(replica, process);
    } catch (err) {
      replica.lastError = (err as Error).message;
      this.log.error({ pod: replica.pod, err: replica.lastError }, 'cannot start the replica process');
      this.backOff(replica);
    }
  }

  /** Runs an init container's command to completion; throws unless it exits 0. */
  private async runInit(replica: Replica, init: k8s.V1Container, env: Record<string, string>): Promise<void> {
    const argv = this.inPodNetwork(replica, [...this.options.entrypoint, ...(init.args ?? [])]);
    // The init container's own limits, in the pod's cgroup (made afresh for the next container).
    const limits = containerLimits(init);
    const cgroup = await this.podCgroup(replica, limits);
    const logFile = this.logFile(replica.pod);
    const fd = openSync(logFile, 'a');
    writeFileSync(fd, `--- ${new Date().toISOString()} init container ${init.name}: ${argv.join(' ')}\n`);
    const joined = cgroup.joinArgv(argv);
    const child = spawn(joined[0]!, joined.slice(1), { cwd: this.options.cwd, env: withHeapLimit(env, limits), stdio: ['ignore', fd, fd] });
    closeSync(fd);
    replica.init = child;
    try {
      const [code, signal] = await once(child, 'exit') as [number | null, string | null];
      const oomKilled = (cgroup.oomKills() ?? 0) > 0;
      if (code !== 0) throw new Error(`init container ${init.name} of pod ${replica.pod} failed (${oomKilled ? 'OOMKilled, ' : ''}exit ${code ?? signal}); see ${logFile}`);
    } finally {
      replica.init = undefined;
      await cgroup.remove();
    }
    this.log.info({ pod: replica.pod, init: init.name }, 'init container completed');
  }

  /** The pod's cgroup for one of its containers, with that container's limits; what it cannot enforce is logged once. */
  private async podCgroup(replica: Replica, limits: ContainerLimits): Promise<PodCgroup> {
    const cgroup = await PodCgroup.create({
      name: `${this.options.namespace}_${replica.pod}`, limits, require: this.options.cgroups === 'require',
      ...(this.options.cgroupParent ? { parent: this.options.cgroupParent } : {}),
      ...(this.options.cpuCfsPeriodUs ? { cpuPeriodUs: this.options.cpuCfsPeriodUs } : {}),
    });
    const warning = cgroup.warnings.join('; ') || undefined;
    if (warning && warning !== replica.cgroupWarning) this.log.warn({ pod: replica.pod, warning }, 'resource limits not enforced');
    replica.cgroupWarning = warning;
    return cgroup;
  }

  /** Updates the pod's container status as the kubelet would, one update after the other; a failure is logged. */
  private reportStatus(replica: Replica, update: (where: { namespace: string; pod: string; container: string }) => Promise<void>): void {
    const where = { namespace: this.options.namespace, pod: replica.pod, container: replica.container };
    replica.statusUpdates = (replica.statusUpdates ?? Promise.resolve()).then(() => update(where))
      .catch((err: Error) => this.log.warn({ pod: replica.pod, err: err.message }, 'cannot update the pod status'));
  }

  /** The pod's IP held in the pod network namespace, and argv run inside it. */
  private inPodNetwork(replica: Replica, argv: string[]): string[] {
    addPodAddress({ name: this.options.podNetwork }, replica.ip);
    return insidePodNetwork({ name: this.options.podNetwork }, argv);
  }

  /** A kubeconfig with a TokenRequest token of the pod's ServiceAccount, bound to the pod; undefined when the pod opts out. */
  private async tokenKubeconfig(pod: k8s.V1Pod, replica: Replica): Promise<string | undefined> {
    if (pod.spec?.automountServiceAccountToken === false) return undefined;
    const namespace = this.options.namespace;
    const serviceAccount = pod.spec?.serviceAccountName ?? 'default';
    const token = await requestToken(this.options.kubeConfig, {
      namespace, serviceAccount, expirationSeconds: this.options.tokenExpirationSeconds ?? 7 * 86_400, pod: { name: replica.pod, uid: replica.uid },
    });
    const file = this.kubeconfigFile(replica.pod);
    writeFileSync(file, tokenKubeconfig(this.options.kubeConfig, token, `system:serviceaccount:${namespace}:${serviceAccount}`, namespace), { mode: 0o600 });
    return file;
  }

  /** A container's process environment: image-like base, the container's env as the kubelet builds it, the token kubeconfig. */
  private async environment(pod: k8s.V1Pod, container: k8s.V1Container, replica: Replica, kubeconfig: string | undefined): Promise<Record<string, string>> {
    const namespace = this.options.namespace;
    const refs = referencedObjects(container);
    const configMaps = new Map<string, Record<string, string> | undefined>();
    const secrets = new Map<string, Record<string, string> | undefined>();
    const missing = (err: unknown) => {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    };
    await Promise.all([
      ...[...refs.configMaps].map(async (name) => configMaps.set(name, await this.core.readNamespacedConfigMap({ name, namespace }).then((c) => c.data ?? {}, missing))),
      ...[...refs.secrets].map(async (name) => secrets.set(name, await this.core.readNamespacedSecret({ name, namespace }).then(
        (s) => Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])), missing))),
    ]);
    const env: Record<string, string> = { ...(this.options.baseEnv ?? {}), ...containerEnv(pod, container, { configMap: (n) => configMaps.get(n), secret: (n) => secrets.get(n) }) };
    env[this.options.listenAddressEnv ?? 'MATCHER_HOST'] = replica.ip;
    if (kubeconfig) env.KUBECONFIG = kubeconfig;
    return env;
  }

  private attach(replica: Replica, process: ReplicaProcess): void {
    replica.process = process;
    replica.phase = 'Running';
    const startedAt = Date.now();
    // Restarted after a termination the pod's status reports: it runs again.
    if (replica.lastTermination) this.reportStatus(replica, (where) => recordRunning(this.core, where, process.record.startedAt));
    void process.exited.then((exit) => {
      if (replica.phase === 'Stopping' || this.replicas.get(replica.uid) !== replica) return;
      void process.forget();
      this.setReady(replica, false);
      const ended = termination(exit, process.record.startedAt);
      replica.lastTermination = ended;
      this.reportStatus(replica, (where) => recordTermination(this.core, where, ended));
      replica.lastError = `process exited (${ended.reason}, code ${exit.code ?? '-'}, signal ${exit.signal ?? '-'}); see ${process.record.logFile}`;
      this.log.warn({ pod: replica.pod, replicaPid: process.record.pid, reason: ended.reason, ...exit }, 'replica process exited while its pod exists: restarting with backoff');
      // A process that ran a while is not crash-looping: start counting again.
      if (Date.now() - startedAt > 60_000) replica.crashes = 0;
      this.backOff(replica);
    });
    // kwok reported the pod Ready before anything ran: not ready until the probe passes.
    if (!replica.ready) this.reportStatus(replica, (where) => recordReadiness(this.core, where, false));
    this.probeLoop(replica);
  }

  private backOff(replica: Replica): void {
    if (this.stopped || this.replicas.get(replica.uid) !== replica) return;
    clearTimeout(replica.probeTimer);
    replica.phase = 'BackOff';
    const { min, max } = this.options.restartBackoffMs ?? { min: 1000, max: 30_000 };
    const delay = backoffDelay(replica.crashes, { baseMs: min, maxMs: max });
    replica.crashes++;
    replica.backoffTimer = setTimeout(() => {
      const pod = this.pods.values().find((p) => p.metadata?.uid === replica.uid);
      const spec = pod?.spec;
      const container = spec && (this.options.container ? spec.containers.find((c) => c.name === this.options.container) : spec.containers[0]);
      if (!pod || !container || this.replicas.get(replica.uid) !== replica || replica.phase !== 'BackOff') return;
      replica.restarts++;
      void this.launch(replica, pod, container);
    }, delay);
  }

  private probeLoop(replica: Replica): void {
    const interval = this.options.probeIntervalMs ?? 1000;
    let failures = 0;
    const tick = async () => {
      if (replica.phase !== 'Running') return;
      let ok = false;
      try {
        const res = await fetch(`http://${replica.ip}:${replica.probe.port}${replica.probe.path}`, { signal: AbortSignal.timeout(Math.max(1000, interval)) });
        await res.arrayBuffer();
        ok = res.status >= 200 && res.status < 400;
      } catch {
        ok = false;
      }
      if (replica.phase !== 'Running') return;
      // Like a readinessProbe: one success makes it ready, three failures in a row unready.
      failures = ok ? 0 : failures + 1;
      if (ok) this.setReady(replica, true);
      else if (failures >= 3 || !replica.ready) this.setReady(replica, false);
      replica.probeTimer = setTimeout(() => void tick(), replica.ready ? interval : Math.min(interval, 250));
    };
    void tick();
  }

  private setReady(replica: Replica, ready: boolean): void {
    if (replica.ready === ready) return;
    replica.ready = ready;
    if (ready && this.targets && !replica.targetWritten) {
      this.targets.write(replica.pod, `${replica.ip}:${replica.port}`);
      replica.targetWritten = true;
    }
    this.log.info({ pod: replica.pod, address: `${replica.ip}:${replica.port}`, ready }, ready ? 'replica ready' : 'replica not ready');
    this.syncUpstreams();
    if (replica.phase !== 'Stopping') this.reportStatus(replica, (where) => recordReadiness(this.core, where, ready));
  }

  private syncUpstreams(): void {
    this.lb?.setUpstreams([...this.replicas.values()].filter((r) => r.ready || r.servingWhileTerminating)
      .map((r) => ({ id: r.pod, host: r.ip, port: r.port, terminating: !r.ready })));
  }

  /** A connection to a replica failed: out of the balancer until its next successful probe. */
  private upstreamFailed(id: string, err: Error): void {
    const replica = [...this.replicas.values()].find((r) => r.pod === id);
    this.log.warn({ pod: id, err: err.message }, 'load balancer could not reach the replica');
    if (replica && (err as NodeJS.ErrnoException).code === 'ECONNREFUSED') this.setReady(replica, false);
  }

  private stopReplica(replica: Replica, reason: string): Promise<void> {
    replica.stopping ??= (async () => {
      replica.phase = 'Stopping';
      clearTimeout(replica.probeTimer);
      clearTimeout(replica.backoffTimer);
      replica.init?.kill('SIGKILL');
      // The pod's preStop sleep, as the kubelet runs it, within the grace period.
      const preStop = replica.process?.running ? Math.min(replica.preStopMs, replica.graceMs) : 0;
      // Out of the ready set first, so new requests go elsewhere; during preStop it still serves
      // when nothing else is ready (a rollout where kwok reported the new pods Ready too early).
      replica.servingWhileTerminating = replica.ready && preStop > 0;
      this.setReady(replica, false);
      if (replica.process?.running) {
        this.log.info({ pod: replica.pod, replicaPid: replica.process.record.pid, reason, preStopMs: preStop }, 'stopping replica process (preStop, then SIGTERM)');
        if (preStop > 0) await Promise.race([sleep(preStop), replica.process.exited]);
        replica.servingWhileTerminating = false;
        this.syncUpstreams();
        const exit = await replica.process.stop(Math.max(1000, replica.graceMs - preStop));
        this.log.info({ pod: replica.pod, ...exit }, 'replica process stopped');
      } else {
        replica.process?.forget();
      }
      this.targets?.remove(replica.pod);
      rmSync(this.kubeconfigFile(replica.pod), { force: true });
      removePodAddress({ name: this.options.podNetwork }, replica.ip);
      this.replicas.delete(replica.uid);
    })();
    return replica.stopping;
  }
}

/**
 * One contender's phase, the same for Plimsoll and KEDA: its Deployments and governing objects in
 * a namespace of its own, the signals at steady values, convergence (every Deployment at the
 * steady replica count), a settle period, the steady window, then the change window (some
 * signals rise; latency to each scale write), sampled every 5 s throughout.
 */
import * as k8s from '@kubernetes/client-node';
import type { SignalExporter } from './exporter.js';
import { Fleet } from './fleet.js';
import { LatencyTracker, summariseLatency, type Change, type LatencyReport } from './latency.js';
import { Sampler, type Probe, type Sample } from './sampler.js';
import { CHANGED_LOAD, STEADY, deployment, itemName, replicasFor } from './specs.js';
import type { Window } from './summary.js';
import type { WriteRecord } from './write-diff.js';
import { WriteRecorder, type WatchedKind } from './write-recorder.js';

export interface ContenderHooks {
  name: 'plimsoll' | 'keda';
  namespace: string;
  /** Prefix of the signal series ("p" for p-000…), so the two phases never share a series. */
  seriesPrefix: string;
  /** Creates what governs Deployment `target` from series `series` (a policy, a ScaledObject). */
  governingObjects(targets: Array<{ target: string; series: string; index: number }>, fleet: Fleet): Promise<void>;
  /** Starts the contender's controllers (the Plimsoll operator); KEDA is already running. */
  start(fleet: Fleet): Promise<void>;
  /** What the contender writes in its namespace, watched so every write is explained (write-recorder.ts). */
  watched(kc: k8s.KubeConfig): WatchedKind[];
  /** The processes whose RSS and CPU are the contender's. */
  processes(): Record<string, number>;
  /** Processes sampled for context only (the control plane does part of either's work). */
  contextProcesses: Record<string, number>;
  probes(): Probe[];
  /** Called with the Plimsoll proxy's answers, when there is one. */
  attachLatency?(tracker: LatencyTracker): void;
  stop(): Promise<void>;
  /** Lets the namespace go (removes finalizers nobody will handle any more, or lets KEDA handle them). */
  teardown(fleet: Fleet): Promise<void>;
}

export interface PhaseOptions {
  policies: number;
  changing: number;
  steadyMinutes: number;
  settleSeconds: number;
  convergeTimeoutSeconds: number;
  changeTimeoutSeconds: number;
  prometheus: string;
}

export interface PhaseResult {
  contender: string;
  windows: Window[];
  samples: Sample[];
  latency: LatencyReport | null;
  convergedSeconds: number | null;
  /** Every write seen on the watches of the contender's namespace, with what it changed. */
  writes: WriteRecord[];
  notes: string[];
}

/** Waits `ms`, or less when the run is interrupted. */
export const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  if (signal.aborted) return resolve();
  const done = () => { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); };
  const t = setTimeout(done, ms);
  signal.addEventListener('abort', done, { once: true });
});

/** The changed policies: spread over the fleet (every k-th), so health-signal policies are among them. */
export function changedIndices(policies: number, changing: number): number[] {
  const n = Math.min(changing, policies);
  if (n === 0) return [];
  const step = policies / n;
  return Array.from({ length: n }, (_, i) => Math.floor(i * step));
}

/**
 * Polls until every Deployment has `replicas` (or, `ready`, also that many ready: kwok has made
 * their pods Ready), or the time is up; returns the seconds it took, or null.
 */
async function converge(fleet: Fleet, count: number, replicas: number, ready: boolean, timeoutSeconds: number, log: (l: string) => void, signal: AbortSignal): Promise<number | null> {
  const start = Date.now();
  let lastLog = 0;
  const what = ready ? `${replicas} ready replicas` : `${replicas} replicas`;
  while (!signal.aborted && Date.now() - start < timeoutSeconds * 1000) {
    const all = await fleet.readiness();
    const done = [...all.values()].filter((r) => r.replicas === replicas && (!ready || r.ready === replicas)).length;
    if (done === count) return (Date.now() - start) / 1000;
    if (Date.now() - lastLog > 15_000) {
      log(`  converging: ${done}/${count} Deployments at ${what} (${Math.round((Date.now() - start) / 1000)} s)`);
      lastLog = Date.now();
    }
    await sleep(2000, signal);
  }
  return null;
}

export async function runPhase(
  hooks: ContenderHooks, options: PhaseOptions, exporter: SignalExporter, admin: k8s.KubeConfig,
  log: (line: string) => void, signal: AbortSignal, cleanups: Array<() => Promise<void>>,
): Promise<PhaseResult> {
  const notes: string[] = [];
  const windows: Window[] = [];
  const fleet = new Fleet(admin, hooks.namespace, log);
  const items = Array.from({ length: options.policies }, (_, i) => ({ index: i, target: itemName('app', i), series: itemName(hooks.seriesPrefix, i) }));
  for (const it of items) {
    exporter.set(it.series, 'load', STEADY.load);
    exporter.set(it.series, 'latency', STEADY.latency);
  }

  log(`[${hooks.name}] namespace ${hooks.namespace}: ${options.policies} Deployments and their governing objects`);
  await fleet.createNamespace();
  cleanups.push(async () => {
    log(`[${hooks.name}] removing namespace ${hooks.namespace}`);
    await hooks.teardown(fleet);
    if (!(await fleet.deleteNamespace())) log(`  warning: namespace ${hooks.namespace} is still terminating`);
  });
  await fleet.createDeployments(items.map((it) => deployment(it.target)));
  await hooks.governingObjects(items, fleet);
  if (signal.aborted) return { contender: hooks.name, windows, samples: [], latency: null, convergedSeconds: null, writes: [], notes };

  // Before the contender starts: what exists now is the baseline, everything after is its writes.
  const recorder = new WriteRecorder(admin, hooks.watched(admin));
  await recorder.start();
  cleanups.push(() => recorder.stop());
  await hooks.start(fleet);
  cleanups.push(() => hooks.stop());
  const sampler = new Sampler({ ...hooks.processes(), ...hooks.contextProcesses }, hooks.probes());
  sampler.start();
  cleanups.push(() => sampler.stop());
  const t0 = Date.now();

  const steadyReplicas = replicasFor(STEADY.load);
  log(`[${hooks.name}] waiting until every Deployment runs ${steadyReplicas} replicas`);
  const convergedSeconds = await converge(fleet, options.policies, steadyReplicas, false, options.convergeTimeoutSeconds, log, signal);
  if (convergedSeconds !== null) log(`  converged in ${convergedSeconds.toFixed(0)} s`);
  else if (!signal.aborted) notes.push(`not every Deployment reached ${steadyReplicas} replicas within ${options.convergeTimeoutSeconds} s`);
  windows.push({ name: 'start-up', fromMs: t0, toMs: Date.now() });
  // Then until kwok has made every pod Ready: a pod becoming ready in the steady window would be
  // a change (readyReplicas) the contender rightly reports.
  if (convergedSeconds !== null) {
    const readySeconds = await converge(fleet, options.policies, steadyReplicas, true, options.convergeTimeoutSeconds, log, signal);
    if (readySeconds !== null) log(`  every pod ready ${readySeconds.toFixed(0)} s later`);
    else if (!signal.aborted) notes.push(`not every Deployment had ${steadyReplicas} ready replicas within ${options.convergeTimeoutSeconds} s after converging`);
  }

  log(`[${hooks.name}] settling ${options.settleSeconds} s, then ${options.steadyMinutes} min of steady state`);
  await sleep(options.settleSeconds * 1000, signal);
  const steadyFrom = Date.now();
  const steadyMs = options.steadyMinutes * 60_000;
  while (!signal.aborted && Date.now() - steadyFrom < steadyMs) {
    await sleep(Math.min(60_000, steadyMs - (Date.now() - steadyFrom)), signal);
    const last = sampler.samples[sampler.samples.length - 1];
    const rss = last ? Object.entries(hooks.processes()).reduce((t, [p]) => t + (last.processes[p]?.rss ?? 0), 0) / (1 << 20) : 0;
    log(`  steady: ${Math.round((Date.now() - steadyFrom) / 60_000)}/${options.steadyMinutes} min, RSS ${rss.toFixed(0)} MB, API writes so far ${last?.values['api.write'] ?? '?'}, writes seen in the steady window ${recorder.records.filter((r) => r.atMs >= steadyFrom).length}`);
  }
  windows.push({ name: 'steady', fromMs: steadyFrom, toMs: Date.now() });

  let latency: LatencyReport | null = null;
  if (!signal.aborted && options.changing > 0) {
    const changes: Change[] = changedIndices(options.policies, options.changing).map((i) => ({
      deployment: items[i]!.target, series: items[i]!.series, toReplicas: replicasFor(CHANGED_LOAD), newLoad: CHANGED_LOAD,
    }));
    const tracker = new LatencyTracker(admin, hooks.namespace, options.prometheus, changes);
    hooks.attachLatency?.(tracker);
    await tracker.start();
    const changeFrom = Date.now();
    log(`[${hooks.name}] ${changes.length} signals change: load ${STEADY.load} → ${CHANGED_LOAD} (${replicasFor(STEADY.load)} → ${replicasFor(CHANGED_LOAD)} replicas)`);
    for (const c of changes) exporter.set(c.series, 'load', CHANGED_LOAD);
    tracker.changed();
    const deadline = Date.now() + options.changeTimeoutSeconds * 1000;
    while (!signal.aborted && !tracker.allScaled() && Date.now() < deadline) await sleep(500, signal);
    // A little more, so the writes that follow a scale (status, events) are in the window.
    await sleep(20_000, signal);
    tracker.stop();
    windows.push({ name: 'change', fromMs: changeFrom, toMs: Date.now() });
    latency = summariseLatency(changes, tracker.times, hooks.attachLatency !== undefined);
    if (latency.notScaled.length) notes.push(`${latency.notScaled.length} changed Deployments were not scaled within ${options.changeTimeoutSeconds} s`);
  }
  await sampler.stop();
  await recorder.stop();
  if (recorder.restarts > 0) notes.push(`the write watches restarted ${recorder.restarts} times (writes in a gap show as one change)`);
  return { contender: hooks.name, windows, samples: sampler.samples, latency, convergedSeconds, writes: recorder.records, notes };
}

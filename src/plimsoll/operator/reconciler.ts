/**
 * Reconcile one ScalingPolicy, by key, from the informers' caches (level-triggered and
 * idempotent: the same world gives the same writes, and an unchanged world gives none). One
 * pass is a pipeline of stages, each with one job:
 *
 *   gate (spec, pause, finalizer, target, conflicts, scaled to zero) → observe (signals, replicas,
 *   the runtime document in force) → decide (the engine) → actuate (the engine's plan through
 *   executePlan: runtime document and scale subresource, in its order, an Event for every
 *   change) → report (status, memory).
 *
 * Returns when to look again (the policy's pollingIntervalSeconds, or sooner while a scale-out
 * waits for the replicas to acknowledge the smaller pool). Errors are thrown and backed off by
 * the controller; terminal problems (an invalid spec) are reported in status and not retried.
 */
import type * as k8s from '@kubernetes/client-node';
import { scalingPolicySpecSchema, type Condition, type ScalingPolicySpec, type ScalingPolicyStatus } from '../api/scaling-policy.js';
import {
  acknowledges, levelRank, PAUSED_ANNOTATION, runtimeConfigMapName, type AppliedRuntime, type RuntimeDocument, type ServiceLevel,
} from '../contract/index.js';
import {
  checkFleet, decide, emptyMemory, executePlan, persistMemory, recordScale, replicasThatFit, restoreMemory, sameMaterialMemory, surgeFor,
  type Actuator, type Decision, type EngineInput, type EngineMemory, type FleetPod, type RolloutStrategy, type SignalObservation,
} from '../engine/index.js';
import type { Logger } from '../observability/logger.js';
import { PlimsollError } from '../errors.js';
import { ConcurrencyEvents } from './concurrency-events.js';
import { Conditions } from './conditions.js';
import type { KubeApi, PolicyRef } from './kube-api.js';
import type { OperatorMetrics } from './metrics.js';
import {
  canonicalJson, readRuntimeDocument, runtimeConfigMap, runtimeContent, sameContent,
} from './runtime-document.js';
import { collectSignals } from './signal-collector.js';
import type { SignalSources } from '../config/signal-sources.js';
import { ownRuntimeConfigMap } from './configmap-ownership.js';
import { admissionRefusal } from './policy-admission.js';
import { writeRuntimeConfigMap } from './runtime-configmap-writer.js';
import { appliedRuntime } from './signals/health.js';
import type { SignalContext, SignalRegistry } from './signals/index.js';

/** At most one ConcurrencyChanged Event per policy this often (and per polling interval). */
const CONCURRENCY_EVENT_WINDOW_MS = 60_000;
/** Re-check acknowledgement this often while a scale-out waits for it. */
const ACK_POLL_MS = 1_000;
const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
/** Held while the policy lives; removed once the fleet was given Full service back (see finalize). */
export const FINALIZER = 'plimsoll.dev/restore-service';
/** Names of replicas shown in status and Events, at most. */
const MAX_NAMED = 32;

export interface ScalingPolicyObject extends k8s.KubernetesObject {
  spec?: unknown;
  status?: ScalingPolicyStatus;
}

export interface Caches {
  policy(key: string): ScalingPolicyObject | undefined;
  policies(): ScalingPolicyObject[];
  deployment(key: string): k8s.V1Deployment | undefined;
  configMap(key: string): k8s.V1ConfigMap | undefined;
  hpas(): k8s.V2HorizontalPodAutoscaler[];
  /** Names of the KEDA ScaledObjects on the Deployment ([] while keda.sh is not served). */
  scaledObjectsFor(namespace: string, deployment: string): string[];
}

export interface ReconcileResult {
  requeueAfterMs?: number;
}

interface PolicyState {
  observations: Record<string, SignalObservation>;
  memory: EngineMemory;
  /** When the signals were last read, and for which spec generation. */
  polled?: { at: number; generation: number | undefined };
  /** The last document published and the pool in force before it (what a laggard may still run). */
  lastPublish?: { generation: number; fromPool: number | undefined };
  /** A scale-out waiting for the acknowledgement of one document. */
  waiting?: { generation: number; since: number; fromPool: number | undefined; announced: boolean };
  /** When the finalizer began to wait for the Full document's acknowledgement. */
  finalizingSince?: number;
}

/** A requeue timer may fire a little before the interval has fully passed. */
const POLL_SLACK_MS = 100;

/**
 * Our own last write of an object, with the resourceVersion the cache held when we made it.
 * While the cache still shows that version, it has not seen our write yet (the watch event is
 * in flight): we trust the write, not the cache — or a fast requeue would repeat the write,
 * bump the runtime generation twice and repeat the Event.
 */
interface Written<T> {
  basedOn: string | undefined;
  value: T;
  /** The resourceVersion our write produced: the precondition of the next write. */
  version?: string | undefined;
  /**
   * Our earlier writes this one followed before the cache had shown them (a status written twice
   * in quick succession). The cache catching up with one of those is still behind this write:
   * taking it for the truth would write again what only differs from this one in its times.
   */
  earlier?: T[];
}

/** How many of our own in-flight status writes a later one remembers (a burst is a few writes). */
const MAX_EARLIER = 4;

interface LastWrites {
  status?: Written<ScalingPolicyStatus>;
  replicas?: Written<number>;
  runtime?: Written<RuntimeDocument>;
}

export interface ReconcilerDeps {
  caches: Caches;
  api: KubeApi;
  signals: SignalRegistry;
  /** The administrator's registered signal sources: a policy naming anything else is refused. */
  sources: SignalSources;
  metrics: OperatorMetrics;
  logger: Logger;
  now?: () => number;
}

type Ack = {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  /** The largest pool the acknowledging replicas say they run, when they say. */
  runningPoolMax?: number;
  /** What each ready replica reported, by pod IP (the fleet budget counts it at its pool). */
  reports?: Map<string, AppliedRuntime | 'absent' | 'unreachable'>;
  /** The ready replicas (pod names, or the health URL) that do not run the document yet. */
  laggards?: string[];
  /** Addresses of the laggards. */
  laggardAddresses?: Set<string>;
};

/** Conditions a pass that is held (paused, in conflict, failed) keeps as they were. */
const KEPT_WHILE_HELD = ['SignalsHealthy', 'BudgetConstrained', 'Degraded', 'Propagated'];

/** One reconcile pass: what every stage reads. `conditions` collects the pass's verdicts. */
interface Pass {
  key: string;
  policy: ScalingPolicyObject;
  ref: PolicyRef;
  generation: number | undefined;
  nowMs: number;
  nowIso: string;
  writes: LastWrites;
  /** The status the pass starts from (our last write while the cache has not seen it). */
  previous: ScalingPolicyStatus;
  base: ScalingPolicyStatus;
  conditions: Conditions;
}

/** What the gate let through. */
interface Gated {
  spec: ScalingPolicySpec;
  deployment: k8s.V1Deployment;
  intervalMs: number;
}

interface Observed extends Gated {
  state: PolicyState;
  context: SignalContext;
  polled: { at: number; generation: number | undefined };
  currentReplicas: number;
  deploymentRv: string | undefined;
  configMapName: string;
  configMapRv: string | undefined;
  publishedBefore: RuntimeDocument | undefined;
  rollout: RolloutStrategy;
}

/** What the actuation did: the document and replicas now in force, and why part of it waits. */
interface Actuated {
  published: RuntimeDocument | undefined;
  replicas: number;
  ack: Ack | undefined;
  /** Why part of the decision waits for pods to go (the budget over the pods that exist). */
  heldBy: string | undefined;
  requeueAfterMs: number;
}

/** spec.strategy of the target: its surge pods share the connection budget. */
export function rolloutOf(deployment: k8s.V1Deployment): RolloutStrategy {
  const strategy = deployment.spec?.strategy;
  if (strategy?.type === 'Recreate') return { type: 'Recreate' };
  const maxSurge = strategy?.rollingUpdate?.maxSurge;
  return { type: 'RollingUpdate', maxSurge: maxSurge === undefined ? '25%' : maxSurge };
}

const named = (names: string[]) => names.length <= 8 ? names.join(', ') : `${names.slice(0, 8).join(', ')} and ${names.length - 8} more`;

/**
 * The cached value, unless the cache has not yet seen our last write of it. Once the cache has
 * moved on, the record is dropped, so later changes by others (a deleted ConfigMap) show.
 */
function fresher<K extends keyof LastWrites, T>(writes: LastWrites, kind: K, cached: T, cachedRv: string | undefined): T {
  const written = writes[kind];
  if (written && written.basedOn === cachedRv) return written.value as T;
  if (written?.earlier) {
    const shown = canonicalJson(cached);
    if (written.earlier.some((e) => canonicalJson(e) === shown)) return written.value as T;
  }
  delete writes[kind];
  return cached;
}

/**
 * The resourceVersion a write must be conditional on: the cached object's, or, while the cache
 * has not yet seen our last write, the version that write produced. A write on a version that
 * has moved on (another writer, a stale leader's cache) is refused with 409 Conflict.
 */
function versionToUpdate<K extends keyof LastWrites>(writes: LastWrites, kind: K, cachedRv: string | undefined): string | undefined {
  const written = writes[kind];
  return written && written.basedOn === cachedRv ? written.version : cachedRv;
}

/** After a 409 Conflict the cache is about to show the newer object: decide again on it soon. */
const CONFLICT_REQUEUE_MS = 500;

function isConflict(err: unknown): boolean {
  return (err as { code?: unknown }).code === 409;
}

export class Reconciler {
  private readonly states = new Map<string, PolicyState>();
  private readonly writes = new Map<string, LastWrites>();
  /** Condition types exported per policy key, so a condition that disappears loses its series. */
  private readonly exportedConditions = new Map<string, Set<string>>();
  private readonly now: () => number;
  private readonly concurrencyEvents = new ConcurrencyEvents((key) => {
    const seconds = (this.deps.caches.policy(key)?.spec as { pollingIntervalSeconds?: number } | undefined)?.pollingIntervalSeconds ?? 0;
    return Math.max(CONCURRENCY_EVENT_WINDOW_MS, seconds * 1000);
  });

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** gate → observe → decide → actuate → report; a stage that settles the pass says when to look again. */
  async reconcile(key: string): Promise<ReconcileResult> {
    const policy = this.deps.caches.policy(key);
    if (!policy) return this.forget(key);
    const [namespace = '', name = ''] = key.split('/');
    const ref: PolicyRef = { name, namespace, uid: policy.metadata?.uid ?? '' };
    if (policy.metadata?.deletionTimestamp) return this.finalize(key, policy, ref);
    const pass = this.begin(key, policy, ref);
    const gated = await this.gate(pass);
    if ('settled' in gated) return gated.settled;
    const observed = await this.observe(pass, gated);
    const decision = this.decide(pass, observed);
    const actuated = await this.actuate(pass, observed, decision);
    if ('settled' in actuated) return actuated.settled;
    await this.report(pass, observed, decision, actuated);
    return { requeueAfterMs: actuated.requeueAfterMs };
  }

  /** Deleted: the runtime ConfigMap goes with it (owner reference); replicas stay as they are. */
  private forget(key: string): ReconcileResult {
    const [namespace = '', name = ''] = key.split('/');
    const { metrics } = this.deps;
    for (const signal of Object.keys(this.states.get(key)?.observations ?? {})) metrics.signalLastSuccess.remove({ namespace, policy: name, signal });
    this.concurrencyEvents.forget(key);
    this.states.delete(key);
    this.writes.delete(key);
    for (const g of [metrics.desiredReplicas, metrics.desiredPoolMax, metrics.serviceLevel]) g.remove({ namespace, policy: name });
    this.exportConditions(namespace, name, []);
    return {};
  }

  /** What every stage of one pass reads: the time, our last writes, the status it starts from. */
  private begin(key: string, policy: ScalingPolicyObject, ref: PolicyRef): Pass {
    const generation = policy.metadata?.generation;
    const nowMs = this.now();
    const nowIso = new Date(nowMs).toISOString().replace(/\.\d+Z$/, 'Z');
    const writes = this.writes.get(key) ?? {};
    this.writes.set(key, writes);
    const previous = fresher(writes, 'status', policy.status ?? {}, policy.metadata?.resourceVersion);
    const conditions = new Conditions(previous.conditions, generation, nowIso);
    const base: ScalingPolicyStatus = { ...previous, conditions: [] };
    if (generation !== undefined) base.observedGeneration = generation;
    return { key, policy, ref, generation, nowMs, nowIso, writes, previous, conditions, base };
  }

  /**
   * Gate: may this policy decide at all? An invalid spec, the pause annotation, a missing
   * target, another autoscaler on it, or a target scaled to zero settle the pass with their
   * condition; otherwise the finalizer is in place (Enforce) and the pass goes on.
   */
  private async gate(pass: Pass): Promise<Gated | { settled: ReconcileResult }> {
    const { policy, ref, previous, base, conditions } = pass;
    const parsed = scalingPolicySpecSchema.safeParse(policy.spec);
    if (!parsed.success) {
      conditions.set('Ready', 'False', 'InvalidSpec', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      await this.writeStatus(ref, previous, { ...base, conditions: conditions.list() });
      return { settled: {} };
    }
    const spec = parsed.data;
    const intervalMs = spec.pollingIntervalSeconds * 1000;
    // Unregistered sources or a foreign ConfigMap: nothing is read, fetched or written but status.
    const refused = await admissionRefusal(spec, ref, {
      sources: this.deps.sources, cachedConfigMap: (k) => this.deps.caches.configMap(k),
      findConfigMap: (ns, name) => spec.mode === 'Enforce' ? this.deps.api.findConfigMap(ns, name) : Promise.resolve(undefined),
    });
    if (refused) {
      conditions.set('Ready', 'False', refused.reason, refused.message);
      await this.writeStatus(ref, previous, { ...base, conditions: conditions.list() });
      return { settled: refused.recheck ? { requeueAfterMs: intervalMs } : {} };
    }

    if (policy.metadata?.annotations?.[PAUSED_ANNOTATION] === 'true') {
      for (const t of KEPT_WHILE_HELD) conditions.keep(t);
      conditions.set('Ready', 'False', 'Paused', `annotation ${PAUSED_ANNOTATION} is "true": no decisions are made or applied`);
      conditions.set('Paused', 'True', 'Annotation', `${PAUSED_ANNOTATION}: "true"`);
      if (conditions.flipped('Paused')) await this.event(ref, 'Normal', 'Paused', 'Pause', 'reconciliation paused by annotation');
      await this.writeStatus(ref, previous, { ...base, conditions: conditions.list() });
      return { settled: {} }; // removing the annotation is a policy event: no polling needed meanwhile
    }

    if (spec.mode === 'Enforce' && !policy.metadata?.finalizers?.includes(FINALIZER)) {
      // Deleting the policy must give the fleet Full service back before the document goes.
      await this.deps.api.setFinalizers(ref, policy.metadata?.resourceVersion ?? '', [...(policy.metadata?.finalizers ?? []), FINALIZER]);
    }

    const deployment = this.deps.caches.deployment(`${ref.namespace}/${spec.targetRef.name}`);
    if (!deployment) {
      conditions.set('Ready', 'False', 'TargetNotFound', `Deployment ${spec.targetRef.name} not found in ${ref.namespace}`);
      await this.writeStatus(ref, previous, { ...base, conditions: conditions.list() });
      return { settled: { requeueAfterMs: intervalMs } };
    }

    const conflicts = this.conflicts(policy, spec, ref.namespace);
    if (conflicts.length > 0) {
      const message = `${spec.targetRef.name} is also driven by ${conflicts.join(', ')}; Plimsoll makes no writes until only one autoscaler governs it`;
      conditions.set('Conflict', 'True', 'AnotherAutoscaler', message);
      conditions.set('Ready', 'False', 'Conflict', message);
      for (const t of KEPT_WHILE_HELD) conditions.keep(t);
      if (conditions.flipped('Conflict')) await this.event(ref, 'Warning', 'Conflict', 'Detect', message);
      await this.writeStatus(ref, previous, { ...base, conditions: conditions.list() });
      return { settled: { requeueAfterMs: intervalMs } };
    }

    if (deployment.spec?.replicas === 0) {
      // Scaled to zero by someone else (Plimsoll never goes below replicas.min ≥ 1): as the
      // HPA does, autoscaling is off until the target has replicas again, so a deliberate
      // scale to zero is not undone. Scale from zero (KEDA's activation) is not supported.
      const message = `${spec.targetRef.name} has 0 replicas: scaling is disabled until it is scaled to 1 or more (Plimsoll does not scale from zero)`;
      for (const t of KEPT_WHILE_HELD) conditions.keep(t);
      conditions.set('Ready', 'False', 'ScalingDisabled', message);
      if (previous.conditions?.find((c) => c.type === 'Ready')?.reason !== 'ScalingDisabled') await this.event(ref, 'Normal', 'ScalingDisabled', 'Scale', message);
      await this.writeStatus(ref, previous, { ...base, conditions: conditions.list(), current: { ...previous.current, replicas: 0, readyReplicas: 0 } });
      return { settled: { requeueAfterMs: intervalMs } };
    }
    return { spec, deployment, intervalMs };
  }

  /** Observe: the signals (once per interval), the replicas and the runtime document in force. */
  private async observe(pass: Pass, gated: Gated): Promise<Observed> {
    const { key, ref, writes, previous, nowMs, generation } = pass;
    const { spec, deployment, intervalMs } = gated;
    const state = this.stateFor(key, previous, nowMs, ref.uid);
    const context = this.signalContext(ref.namespace, ref.name, spec.targetRef.name);
    // Signals are polled once per interval, as KEDA and the HPA do. Reconciles in between (a
    // Deployment or ConfigMap event) decide on the last readings: reading again would load the
    // sources per event and count one outage as several consecutive failures toward the fallback.
    let polled = state.polled;
    if (!polled || polled.generation !== generation || nowMs - polled.at >= intervalMs - POLL_SLACK_MS) {
      const { signals, metrics, logger } = this.deps;
      state.observations = await collectSignals(spec, state.observations, signals, context, metrics, logger, this.now);
      polled = state.polled = { at: nowMs, generation };
    }
    const deploymentRv = deployment.metadata?.resourceVersion;
    const currentReplicas = fresher(writes, 'replicas', deployment.spec?.replicas ?? 1, deploymentRv);
    const configMapName = runtimeConfigMapName(ref.name, spec.runtime.configMapName);
    const cached = this.deps.caches.configMap(`${ref.namespace}/${configMapName}`);
    const configMapRv = cached?.metadata?.resourceVersion;
    const readBack = readRuntimeDocument(cached, (err) => this.deps.logger.warn({ policy: key, configMap: configMapName, err: err.message }, 'published runtime document is invalid; publishing a new one'));
    const publishedBefore = fresher(writes, 'runtime', readBack, configMapRv);
    return {
      ...gated, state, context, polled, deploymentRv, currentReplicas, configMapName, configMapRv, publishedBefore, rollout: rolloutOf(deployment),
    };
  }

  /** Decide: the engine on what was observed (the plan says in which order to apply it). */
  private decide(pass: Pass, o: Observed): Decision {
    const observations: EngineInput['observations'] = { currentReplicas: o.currentReplicas, signals: o.state.observations, rollout: o.rollout };
    // Value objectives scale the ready replicas, as the HPA does (the Deployment counts them).
    const ready = o.deployment.status?.readyReplicas;
    if (ready !== undefined) observations.readyReplicas = ready;
    const publishedPool = o.publishedBefore?.db?.poolMax ?? pass.previous.current?.poolMax;
    if (publishedPool !== undefined) observations.currentPoolMax = publishedPool;
    // Concurrency moves by more than a dead band from what the replicas run (engine/concurrency.ts).
    if (o.publishedBefore) observations.currentConcurrency = Object.fromEntries(Object.entries(o.publishedBefore.queues).map(([p, q]) => [p, q.concurrency]));
    const decision = decide({ spec: o.spec, observations, memory: o.state.memory, now: this.now() });
    this.recordGauges(pass.ref.namespace, pass.ref.name, decision);
    return decision;
  }

  /**
   * Actuate: the engine's plan, in its order (executePlan), against the API server; DryRun
   * only tells. A 409 Conflict settles the pass (decided again soon on the fresh object); any
   * other failure is said in status and thrown for the controller's back-off.
   */
  private async actuate(pass: Pass, o: Observed, decision: Decision): Promise<Actuated | { settled: ReconcileResult }> {
    const { key, ref, writes, previous, base, conditions } = pass;
    const actuated: Actuated = {
      published: o.publishedBefore, replicas: o.currentReplicas, ack: undefined, heldBy: undefined,
      // Look again at the next poll (a reconcile between polls keeps that schedule).
      requeueAfterMs: Math.max(POLL_SLACK_MS, o.polled.at + o.intervalMs - pass.nowMs),
    };
    if (o.spec.mode === 'DryRun') {
      await this.dryRunEvents(ref, previous, decision);
      return actuated;
    }
    try {
      await executePlan(decision.plan, this.kubeActuator(pass, o, decision, actuated));
    } catch (err) {
      if (isConflict(err)) {
        // Someone else changed the Deployment or the document since it was read: nothing of
        // this decision is applied on top; the next reconcile decides on what is there now.
        delete writes.replicas;
        delete writes.runtime;
        this.deps.logger.info({ policy: key, err: String(err) }, 'write conflict (409): deciding again on the current objects');
        return { settled: { requeueAfterMs: CONFLICT_REQUEUE_MS } };
      }
      // Say so where users look, then let the controller back off and retry.
      const message = err instanceof Error ? err.message.slice(0, 1024) : String(err);
      conditions.set('Ready', 'False', 'ActuationFailed', message);
      for (const t of KEPT_WHILE_HELD) conditions.keep(t);
      if (conditions.flipped('Ready')) await this.event(ref, 'Warning', 'ActuationFailed', 'Actuate', message);
      await this.writeStatus(ref, previous, { ...base, conditions: conditions.list() }).catch(() => undefined);
      throw new PlimsollError('ACTUATION_FAILED', `${key}: ${message}`, { cause: err });
    }
    const ack = actuated.ack ??= await this.acknowledged(o.spec, actuated.published, ref.namespace, o.context);
    if (ack.status !== 'False') delete o.state.waiting;
    const skipped = ['NoHealthSignal', 'GenerationNotReported', 'AcknowledgementDisabled'];
    if (skipped.includes(ack.reason) && previous.conditions?.find((c) => c.type === 'Propagated')?.reason !== ack.reason) {
      await this.event(ref, 'Warning', 'AcknowledgementSkipped', 'Acknowledge', ack.message);
    }
    return actuated;
  }

  /**
   * The Actuator executePlan drives: conditional writes of the runtime document and the scale
   * subresource, each checked against the budget over the pods that exist (engine/fleet.ts),
   * and the replicas' acknowledgement with its timeout. What it did is recorded in `actuated`.
   */
  private kubeActuator(pass: Pass, o: Observed, decision: Decision, actuated: Actuated): Actuator {
    const { ref, writes, previous } = pass;
    const { spec, deployment, rollout, state } = o;
    const budget = spec.connectionBudget && decision.connectionBudget;
    const lookSoon = () => { actuated.requeueAfterMs = Math.min(ACK_POLL_MS, o.intervalMs); };
    return {
      publish: async () => {
        let toPublish = decision;
        const wanted = decision.poolMax?.value;
        const replicas = actuated.replicas;
        const inForce = actuated.published?.db?.poolMax ?? spec.connectionBudget?.pool.min;
        if (budget !== undefined && wanted !== undefined && inForce !== undefined && wanted > inForce) {
          // A larger pool only once the pods that would take the fleet over the budget are gone.
          const pods = await this.fleetPods(ref.namespace, deployment, () => inForce);
          const check = checkFleet(pods, replicas, surgeFor(replicas, rollout), wanted, budget);
          if (!check.fits) {
            actuated.heldBy = `pool ${wanted} waits for ${check.terminating.length > 0 ? `terminating pods ${named(check.terminating)}` : 'pods above the replica count'}: ${pods.length} pods and room for ${replicas} replicas + ${surgeFor(replicas, rollout)} surge at pool ${wanted} need ${check.connections} connections, the budget is ${budget}; pool ${inForce} stays in force`;
            toPublish = { ...decision, poolMax: { value: inForce, reason: 'WaitingForPods', limitedBy: 'RunningPods', message: actuated.heldBy } };
            lookSoon();
          }
        }
        const { doc, version } = await this.publish(ref, o.configMapName, toPublish, actuated.published, previous, state, versionToUpdate(writes, 'runtime', o.configMapRv));
        if (doc !== actuated.published) writes.runtime = { basedOn: o.configMapRv, value: doc, version };
        actuated.published = doc;
      },
      awaitAcknowledgement: async () => {
        const ack = actuated.ack = await this.acknowledged(spec, actuated.published, ref.namespace, o.context);
        if (ack.status !== 'False' || this.waitTimedOut(ref, spec, state, actuated.published!, ack, pass.nowMs)) return true;
        lookSoon();
        return false; // replicas grow only once every ready replica runs the smaller pool
      },
      scale: async (wanted) => {
        const replicas = actuated.replicas;
        if (wanted === replicas) return;
        let target = wanted;
        const published = actuated.published;
        if (target > replicas && budget !== undefined && published?.db) {
          // As far as the pods that exist, at the pools they run, leave room for.
          const pool = published.db.poolMax;
          const pods = await this.fleetPods(ref.namespace, deployment, (pod) => this.poolOfPod(pod, actuated.ack, state, pool, spec.connectionBudget!.pool.max));
          target = replicasThatFit(pods, replicas, wanted, pool, budget, rollout);
          if (target < wanted) {
            const terminating = pods.filter((p) => p.terminating).map((p) => p.name);
            actuated.heldBy = `replicas ${wanted} wait for ${terminating.length > 0 ? `terminating pods ${named(terminating)}` : 'replicas that have not acknowledged'}: only ${target} fit the budget ${budget} with the ${pods.length} pods that exist`;
            lookSoon();
          }
        }
        if (target === replicas) return;
        const version = await this.deps.api.scale(ref.namespace, spec.targetRef.name, target, versionToUpdate(writes, 'replicas', o.deploymentRv));
        writes.replicas = { basedOn: o.deploymentRv, value: target, version };
        const d = decision.replicas;
        await this.event(ref, 'Normal', target > replicas ? 'ScaledUp' : 'ScaledDown', 'Scale',
          `replicas ${replicas} → ${target}: ${d.reason}${d.limitedBy ? ` (limited by ${d.limitedBy})` : ''}${d.message ? `: ${d.message}` : ''}${target !== wanted ? ` (${actuated.heldBy})` : ''}`);
        actuated.replicas = target;
      },
    };
  }

  /** Report: the engine's memory, then status (conditions, current, desired, memory) in one write when it changed. */
  private async report(pass: Pass, o: Observed, decision: Decision, a: Actuated): Promise<void> {
    const { ref, previous, base, conditions, nowIso } = pass;
    const { state } = o;
    const dryRun = o.spec.mode === 'DryRun';
    // Only a scale that was written counts against the rate policies (not a dry run, nor one
    // still waiting for the replicas to acknowledge the smaller pool).
    state.memory = recordScale(decision.memory, a.replicas - o.currentReplicas, decision.now);

    const status = this.buildStatus(base, previous, conditions, decision, {
      spec: o.spec, deployment: o.deployment, replicas: a.replicas, published: a.published, ack: a.ack, dryRun, nowIso,
      scaled: a.replicas !== o.currentReplicas, observations: state.observations,
    });
    if (a.heldBy) conditions.set('Propagated', 'False', 'WaitingForPods', a.heldBy);
    if (a.ack && state.waiting && !dryRun) {
      status.acknowledgement = {
        generation: state.waiting.generation,
        waitingSince: new Date(state.waiting.since).toISOString().replace(/\.\d+Z$/, 'Z'),
        unacknowledged: (a.ack.laggards ?? []).slice(0, MAX_NAMED),
        timedOut: state.waiting.announced,
      };
    } else delete status.acknowledgement;
    status.conditions = conditions.list();
    // The memory goes to status for the next leader: when it changed materially, or with a
    // write that happens anyway (steady state stays without writes).
    const memory = persistMemory(state.memory, ref.uid);
    // So do the signals' read times: lastSuccessTime alone is no reason to write either (the
    // gauge plimsoll_signal_last_success_timestamp_seconds carries freshness).
    status.memory = sameMaterialMemory(previous.memory, memory) ? previous.memory! : memory;
    if (canonicalJson(status) !== canonicalJson(previous)) {
      status.memory = memory;
      status.signals = this.signalStatus(previous, decision, state.observations, true);
    }
    await this.writeStatus(ref, previous, status);
    for (const [signal, obs] of Object.entries(state.observations)) {
      if (obs.readAt !== undefined) this.deps.metrics.signalLastSuccess.set({ namespace: ref.namespace, policy: ref.name, signal }, obs.readAt / 1000);
    }
    const summary = this.concurrencyEvents.due(pass.key, pass.nowMs);
    if (summary) await this.event(ref, 'Normal', 'ConcurrencyChanged', 'Configure', summary);
  }

  /**
   * The policy is being deleted. Its runtime document goes with it (owner reference) and the
   * replicas keep the last document they applied, so a fleet left at Maintenance would stay
   * there for good. While the finalizer holds the policy: publish the document at Full (pool and
   * concurrency as they are: they fit the fleet that stays, whose replicas are left as they
   * are), wait for the replicas' acknowledgement up to runtime.acknowledgement.timeoutSeconds,
   * then let the policy go.
   */
  private async finalize(key: string, policy: ScalingPolicyObject, ref: PolicyRef): Promise<ReconcileResult> {
    const finalizers = policy.metadata?.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) return {};
    const parsed = scalingPolicySpecSchema.safeParse(policy.spec);
    if (parsed.success && parsed.data.mode === 'Enforce') {
      const spec = parsed.data;
      const nowMs = this.now();
      const configMapName = runtimeConfigMapName(ref.name, spec.runtime.configMapName);
      const writes = this.writes.get(key) ?? {};
      this.writes.set(key, writes);
      // Only its own document is restored to Full: a foreign ConfigMap is never written.
      const cached = ownRuntimeConfigMap(this.deps.caches.configMap(`${ref.namespace}/${configMapName}`), ref.name);
      const before = fresher(writes, 'runtime', readRuntimeDocument(cached), cached?.metadata?.resourceVersion);
      if (before) {
        const state = this.stateFor(key, policy.status ?? {}, nowMs, ref.uid);
        let doc = before;
        if (before.serviceLevel !== 'Full' || before.lineage !== ref.uid) {
          const generation = Math.max(before.generation, policy.status?.current?.runtimeGeneration ?? 0) + 1;
          doc = { ...before, serviceLevel: 'Full', lineage: ref.uid, generation, issuedAt: new Date(nowMs).toISOString() };
          try {
            const version = await this.deps.api.applyConfigMap(runtimeConfigMap(ref, configMapName, doc), versionToUpdate(writes, 'runtime', cached?.metadata?.resourceVersion));
            writes.runtime = { basedOn: cached?.metadata?.resourceVersion, value: doc, version };
          } catch (err) {
            // The whole namespace is going (its replicas with it): nothing to restore.
            if (!String((err as { body?: unknown }).body ?? err).includes('being terminated')) throw err;
            await this.deps.api.setFinalizers(ref, policy.metadata?.resourceVersion ?? '', finalizers.filter((f) => f !== FINALIZER));
            return {};
          }
          await this.event(ref, 'Normal', 'LevelRelaxed', 'Finalize', `service level ${before.serviceLevel} → Full (runtime generation ${doc.generation}): the policy is being deleted`);
        }
        const ack = await this.acknowledged(spec, doc, ref.namespace, this.signalContext(ref.namespace, ref.name, spec.targetRef.name));
        state.finalizingSince ??= nowMs;
        const { timeoutSeconds } = spec.runtime.acknowledgement;
        if (ack.status === 'False') {
          if (nowMs - state.finalizingSince < timeoutSeconds * 1000) return { requeueAfterMs: ACK_POLL_MS };
          await this.event(ref, 'Warning', 'AcknowledgementTimedOut', 'Finalize',
            `no acknowledgement of the Full document (generation ${doc.generation}) after ${timeoutSeconds} s from ${named(ack.laggards ?? [])}; deleting the policy anyway`);
        }
      }
    }
    await this.deps.api.setFinalizers(ref, policy.metadata?.resourceVersion ?? '', finalizers.filter((f) => f !== FINALIZER));
    this.states.delete(key);
    return {};
  }

  /** Forget per-policy memory (on losing leadership). */
  reset(): void {
    this.states.clear();
    this.writes.clear();
  }

  private stateFor(key: string, status: ScalingPolicyStatus, now: number, lineage: string): PolicyState {
    let state = this.states.get(key);
    if (!state) {
      // A new leader (or a restart) resumes the engine's memory from status: the stabilization
      // windows, rate policies, level dwell and adaptive concurrency carry on where they were,
      // so a failover neither drops 20 replicas to 4 at once nor relaxes a degraded service.
      // Without a memory of this policy's lineage, the level (and its dwell) still comes back.
      const restored = restoreMemory(status.memory, lineage, now);
      const memory = { ...emptyMemory(now), ...restored };
      const level = status.current?.serviceLevel;
      if (level && !restored) memory.level = { value: level, since: Date.parse(status.lastLevelTransitionTime ?? '') || now };
      const lastScale = Date.parse(status.lastScaleTime ?? '');
      if (Number.isFinite(lastScale)) memory.lastScaleTime = lastScale;
      state = { observations: {}, memory };
      // A wait for acknowledgement keeps its start across a restart, so its timeout still comes;
      // the pool in force before it is forgotten: laggards count at pool.max meanwhile.
      const waiting = status.acknowledgement;
      const since = Date.parse(waiting?.waitingSince ?? '');
      if (waiting && Number.isFinite(since)) state.waiting = { generation: waiting.generation, since, fromPool: undefined, announced: waiting.timedOut };
      this.states.set(key, state);
    }
    return state;
  }

  private signalContext(namespace: string, policyName: string, targetName: string): SignalContext {
    const { api, logger } = this.deps;
    return {
      namespace, policyName, targetName,
      logger: logger.child({ policy: `${namespace}/${policyName}` }),
      readyEndpoints: () => api.readyEndpoints(namespace, targetName),
      secretValue: (secret, key) => api.secretValue(namespace, secret, key, policyName),
    };
  }

  /** Other autoscalers on the same Deployment: HPAs, KEDA ScaledObjects, older ScalingPolicies. */
  private conflicts(policy: ScalingPolicyObject, spec: ScalingPolicySpec, namespace: string): string[] {
    const target = spec.targetRef.name;
    const found: string[] = [];
    for (const hpa of this.deps.caches.hpas()) {
      const ref = hpa.spec?.scaleTargetRef;
      if (hpa.metadata?.namespace === namespace && ref?.kind === 'Deployment' && ref.name === target) found.push(`HorizontalPodAutoscaler ${hpa.metadata.name}`);
    }
    for (const so of this.deps.caches.scaledObjectsFor(namespace, target)) found.push(`ScaledObject ${so}`);
    // Of several policies on one Deployment the oldest keeps governing; the newer ones yield.
    const mine = [policy.metadata?.creationTimestamp ? new Date(policy.metadata.creationTimestamp).getTime() : 0, policy.metadata?.name ?? ''] as const;
    for (const other of this.deps.caches.policies()) {
      if (other.metadata?.namespace !== namespace || other.metadata.name === policy.metadata?.name) continue;
      const otherTarget = (other.spec as { targetRef?: { name?: string } } | undefined)?.targetRef?.name;
      if (otherTarget !== target) continue;
      const theirs = [other.metadata.creationTimestamp ? new Date(other.metadata.creationTimestamp).getTime() : 0, other.metadata.name ?? ''] as const;
      if (theirs[0] < mine[0] || (theirs[0] === mine[0] && theirs[1] < mine[1])) found.push(`ScalingPolicy ${other.metadata.name}`);
    }
    return found;
  }

  private async publish(
    ref: PolicyRef, configMapName: string, decision: Decision,
    before: RuntimeDocument | undefined, status: ScalingPolicyStatus, state: PolicyState, precondition: string | undefined,
  ): Promise<{ doc: RuntimeDocument; version?: string | undefined }> {
    const content = runtimeContent(ref.name, decision);
    // The lineage is the policy's uid: a re-created policy's generation 1 is newer than the
    // old policy's 57 for every replica (and for the acknowledgement).
    if (before && before.lineage === ref.uid && sameContent(before, content)) return { doc: before };
    // Monotonic even if someone deleted the ConfigMap: status remembers the last generation.
    const generation = Math.max(before?.generation ?? 0, status.current?.runtimeGeneration ?? 0) + 1;
    const doc: RuntimeDocument = { ...content, lineage: ref.uid, generation, issuedAt: new Date(this.now()).toISOString() };
    // Conditional on the version whose document this generation follows (a generation check
    // before the document is replaced: a stale leader's cache cannot overwrite a newer one).
    const version = await writeRuntimeConfigMap(this.deps.api, runtimeConfigMap(ref, configMapName, doc), precondition);
    state.lastPublish = { generation, fromPool: before?.db?.poolMax ?? status.current?.poolMax };
    await this.changeEvents(ref, before, doc, decision);
    return { doc, version };
  }

  /**
   * The wait for acknowledgement of `published` has passed runtime.acknowledgement.timeoutSeconds
   * and onTimeout lets the scale-out go on (within the budget, laggards at their larger pool)?
   * The first time, a Warning Event names the replicas that have not acknowledged.
   */
  private waitTimedOut(ref: PolicyRef, spec: ScalingPolicySpec, state: PolicyState, published: RuntimeDocument, ack: Ack, nowMs: number): boolean {
    if (state.waiting?.generation !== published.generation) {
      const fromPool = state.lastPublish?.generation === published.generation ? state.lastPublish.fromPool : undefined;
      state.waiting = { generation: published.generation, since: nowMs, fromPool, announced: false };
    }
    const { timeoutSeconds, onTimeout } = spec.runtime.acknowledgement;
    if (nowMs - state.waiting.since < timeoutSeconds * 1000) return false;
    const laggards = named(ack.laggards ?? []);
    if (!state.waiting.announced) {
      state.waiting.announced = true;
      void this.event(ref, 'Warning', 'AcknowledgementTimedOut', 'Acknowledge', onTimeout === 'Hold'
        ? `no acknowledgement of runtime generation ${published.generation} after ${timeoutSeconds} s from ${laggards}; replicas wait (onTimeout: Hold)`
        : `no acknowledgement of runtime generation ${published.generation} after ${timeoutSeconds} s from ${laggards}; scaling out within the budget with them counted at the pool they may still run (onTimeout: ScaleWithinBudget)`);
    }
    ack.reason = 'AcknowledgementTimedOut';
    ack.message = `${ack.message}; timed out after ${timeoutSeconds} s (onTimeout: ${onTimeout})`;
    return onTimeout === 'ScaleWithinBudget';
  }

  /** The target's pods that hold (or may hold) connections: not Succeeded or Failed. */
  private async fleetPods(namespace: string, deployment: k8s.V1Deployment, poolOf: (pod: k8s.V1Pod) => number): Promise<FleetPod[]> {
    const selector = deployment.spec?.selector;
    if (!selector) return [];
    const pods = await this.deps.api.podsOf(namespace, selector);
    return pods
      .filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
      .map((p) => ({ name: p.metadata?.name ?? '', terminating: !!p.metadata?.deletionTimestamp, poolMax: poolOf(p) }));
  }

  /**
   * The pool a pod runs, for the budget: what it reports; a replica that has not acknowledged
   * and cannot say, the pool in force before (pool.max when that is not known); any other pod,
   * the published pool (the acknowledgement barrier is what makes that true).
   */
  private poolOfPod(pod: k8s.V1Pod, ack: Ack | undefined, state: PolicyState, published: number, poolCeiling: number): number {
    const ip = pod.status?.podIP;
    const report = ip ? ack?.reports?.get(ip) : undefined;
    const reported = typeof report === 'object' && report.poolMax !== null ? report.poolMax : undefined;
    if (ip && ack?.laggardAddresses?.has(ip)) return Math.max(reported ?? 0, state.waiting?.fromPool ?? poolCeiling);
    return reported ?? published;
  }

  private async changeEvents(ref: PolicyRef, before: RuntimeDocument | undefined, doc: RuntimeDocument, decision: Decision): Promise<void> {
    const d = decision.poolMax;
    if (doc.db && d && before?.db?.poolMax !== doc.db.poolMax) {
      await this.event(ref, 'Normal', 'PoolResized', 'Configure',
        `poolMax ${before?.db?.poolMax ?? '-'} → ${doc.db.poolMax} (runtime generation ${doc.generation}): ${d.reason}${d.limitedBy ? ` (limited by ${d.limitedBy})` : ''}${d.message ? `: ${d.message}` : ''}`);
    }
    if (before?.serviceLevel !== doc.serviceLevel) {
      const l = decision.serviceLevel;
      const up = !before || levelRank[doc.serviceLevel] > levelRank[before.serviceLevel];
      await this.event(ref, up && doc.serviceLevel !== 'Full' ? 'Warning' : 'Normal', up ? 'LevelEscalated' : 'LevelRelaxed', 'Configure',
        `service level ${before?.serviceLevel ?? '-'} → ${doc.serviceLevel}: ${l.reason}${l.message ? `: ${l.message}` : ''}`);
    }
    // AIMD moves in steps: told at once after a quiet window, then summed up (concurrency-events.ts).
    const changed = decision.concurrency.filter((c) => before?.queues[c.provider]?.concurrency !== c.value).map((c) => ({
      provider: c.provider, from: before?.queues[c.provider]?.concurrency, to: c.value, reason: `${c.reason}${c.limitedBy ? ` (limited by ${c.limitedBy})` : ''}`,
    }));
    const note = this.concurrencyEvents.record(`${ref.namespace}/${ref.name}`, changed, doc.generation, this.now());
    if (note) await this.event(ref, 'Normal', 'ConcurrencyChanged', 'Configure', note);
  }

  /** DryRun: Events for every change of a decided knob, compared with the last status. */
  private async dryRunEvents(ref: PolicyRef, previous: ScalingPolicyStatus, decision: Decision): Promise<void> {
    const was = previous.desired;
    const changes: string[] = [];
    if (was?.replicas?.value !== decision.replicas.value) changes.push(`replicas ${was?.replicas?.value ?? '-'} → ${decision.replicas.value} (${decision.replicas.reason})`);
    if (decision.poolMax && was?.poolMax?.value !== decision.poolMax.value) changes.push(`poolMax ${was?.poolMax?.value ?? '-'} → ${decision.poolMax.value} (${decision.poolMax.reason})`);
    if (was?.serviceLevel?.value !== decision.serviceLevel.value) changes.push(`level ${was?.serviceLevel?.value ?? '-'} → ${decision.serviceLevel.value} (${decision.serviceLevel.reason})`);
    for (const c of decision.concurrency) {
      const before = was?.concurrency?.find((p) => p.provider === c.provider)?.value;
      if (before !== c.value) changes.push(`${c.provider} concurrency ${before ?? '-'} → ${c.value} (${c.reason})`);
    }
    if (changes.length > 0) await this.event(ref, 'Normal', 'DryRunDecision', 'Decide', `would set ${changes.join('; ')}`);
  }

  /**
   * Have the target's ready replicas applied this runtime document? They report its lineage and
   * generation (and the pool they run) in /health/details, in the contract's fields; runtime.
   * acknowledgement says whether that is asked at all. Every outcome is explicit in Propagated:
   * no health signal or Disabled is Unknown with its reason, never a silent pass.
   */
  private async acknowledged(spec: ScalingPolicySpec, published: RuntimeDocument | undefined, namespace: string, context: SignalContext): Promise<Ack> {
    const generation = published?.generation ?? 0;
    const { mode } = spec.runtime.acknowledgement;
    if (mode === 'Disabled') return { status: 'Unknown', reason: 'AcknowledgementDisabled', message: 'runtime.acknowledgement.mode is Disabled: replicas grow without waiting for the smaller pool' };
    const health = spec.signals.find((s) => s.health)?.health;
    if (!health) {
      // Required without a health signal is refused by the CRD's validation; hold if it slips through.
      return mode === 'Required'
        ? { status: 'False', reason: 'NoHealthSignal', message: 'runtime.acknowledgement.mode Required needs a health signal' }
        : { status: 'Unknown', reason: 'NoHealthSignal', message: 'no health signal: the replicas\' applied runtime generation cannot be read; scale-out does not wait (runtime.acknowledgement.mode IfReported)' };
    }
    let replicas: Array<{ name: string; url: string; address?: string }>;
    try {
      replicas = health.url
        ? [{ name: health.url, url: health.url }]
        : (await this.deps.api.readyEndpointPods(namespace, context.targetName)).map((e) => ({
          name: e.pod, address: e.address, url: `http://${e.address.includes(':') ? `[${e.address}]` : e.address}:${health.port}${health.path}`,
        }));
    } catch (err) {
      return { status: 'False', reason: 'WaitingForAcknowledgement', message: `ready endpoints unknown: ${(err as Error).message}` };
    }
    if (replicas.length === 0) return { status: 'True', reason: 'NoReadyReplicas', message: 'no ready replicas to acknowledge' };
    const reports = await Promise.all(replicas.map((r) => appliedRuntime(r.url, health.timeoutSeconds)));
    const byAddress = new Map(replicas.flatMap((r, i) => (r.address ? [[r.address, reports[i]!] as const] : [])));
    if (mode === 'IfReported' && reports.every((r) => r === 'absent')) {
      // Replicas that do not report runtimeGeneration at all (no runtime client) cannot block scaling.
      return { status: 'Unknown', reason: 'GenerationNotReported', reports: byAddress, message: 'the ready replicas do not report runtimeGeneration in their health document; scale-out does not wait (runtime.acknowledgement.mode IfReported)' };
    }
    const target = { generation, ...(published?.lineage ? { lineage: published.lineage } : {}) };
    // null (nothing applied yet), another lineage, absent and unreachable replicas count as not acknowledged.
    const done = reports.map((r) => typeof r === 'object' && acknowledges(r, target));
    const laggards = replicas.filter((_, i) => !done[i]);
    if (laggards.length > 0) {
      return {
        status: 'False', reason: 'WaitingForAcknowledgement', reports: byAddress,
        laggards: laggards.map((r) => r.name), laggardAddresses: new Set(laggards.flatMap((r) => (r.address ? [r.address] : []))),
        message: `${replicas.length - laggards.length}/${replicas.length} ready replicas run generation ${generation}; waiting for ${named(laggards.map((r) => r.name))}`,
      };
    }
    const message = `all ${replicas.length} ready replicas run generation ${generation}`;
    const pools = reports.flatMap((r) => (typeof r === 'object' && r.poolMax !== null ? [r.poolMax] : []));
    if (pools.length === 0) return { status: 'True', reason: 'Acknowledged', message, reports: byAddress };
    const runningPoolMax = Math.max(...pools);
    const publishedPool = published?.db?.poolMax;
    if (publishedPool !== undefined && runningPoolMax !== publishedPool) {
      // A replica caps the pool at its own ceiling: acknowledged (a smaller pool keeps the
      // budget), but status must show the pool that runs, and say why it differs.
      return { status: 'True', reason: 'PoolCapped', runningPoolMax, reports: byAddress, message: `${message}, with pool ${runningPoolMax} instead of the published ${publishedPool} (the replicas' own ceiling)` };
    }
    return { status: 'True', reason: 'Acknowledged', runningPoolMax, reports: byAddress, message };
  }

  private buildStatus(
    base: ScalingPolicyStatus, previous: ScalingPolicyStatus, conditions: Conditions, decision: Decision,
    x: { spec: ScalingPolicySpec; deployment: k8s.V1Deployment; replicas: number; published: RuntimeDocument | undefined; ack: Ack | undefined; dryRun: boolean; nowIso: string; scaled: boolean; observations: Record<string, SignalObservation> },
  ): ScalingPolicyStatus {
    const missing = decision.signals.filter((s) => s.state === 'Missing').map((s) => s.name);
    const stale = decision.signals.filter((s) => s.state === 'Stale').map((s) => s.name);
    if (decision.signals.length === 0) conditions.set('SignalsHealthy', 'True', 'NoSignals', 'the policy declares no signals');
    else if (missing.length > 0) {
      conditions.set('SignalsHealthy', 'False', decision.fallbackActive ? 'FallbackActive' : 'SignalsMissing',
        `missing: ${missing.join(', ')}${decision.fallbackActive ? `; fallback ${x.spec.fallback.behavior}` : ''}`);
    } else if (stale.length > 0) conditions.set('SignalsHealthy', 'False', 'SignalsStale', `stale (last value used): ${stale.join(', ')}`);
    else conditions.set('SignalsHealthy', 'True', 'AllFresh', `${decision.signals.length} signals fresh`);

    conditions.set('BudgetConstrained', decision.budgetConstrained ? 'True' : 'False',
      decision.budgetConstrained ? 'ConnectionBudget' : 'WithinBudget',
      decision.budgetConstrained ? (decision.replicas.message ?? 'the connection budget caps replicas') : `budget ${decision.connectionBudget ?? 'not configured'}`);
    const level: ServiceLevel = decision.serviceLevel.value;
    conditions.set('Degraded', level === 'Full' ? 'False' : 'True', level === 'Full' ? 'FullService' : level,
      `${decision.serviceLevel.reason}${decision.serviceLevel.message ? `: ${decision.serviceLevel.message}` : ''}`);
    if (x.dryRun) {
      conditions.set('DryRun', 'True', 'ModeDryRun', 'decisions are recorded in status and Events only');
      conditions.set('Propagated', 'Unknown', 'DryRun', 'nothing is published in DryRun mode');
      conditions.set('Ready', 'True', 'DryRun', 'decisions computed (not applied)');
    } else {
      const ack = x.ack ?? { status: 'Unknown' as const, reason: 'NotPublished', message: 'no runtime document yet' };
      conditions.set('Propagated', ack.status, ack.reason, ack.message);
      conditions.set('Ready', 'True', 'Reconciled', `replicas ${x.replicas}, poolMax ${x.published?.db?.poolMax ?? '-'}, level ${x.published?.serviceLevel ?? '-'}`);
    }

    const status: ScalingPolicyStatus = { ...base, conditions: conditions.list() };
    const current: NonNullable<ScalingPolicyStatus['current']> = { replicas: x.replicas, readyReplicas: x.deployment.status?.readyReplicas ?? 0 };
    if (x.published) {
      Object.assign(current, { serviceLevel: x.published.serviceLevel, runtimeGeneration: x.published.generation });
      // What the replicas say they run wins over what was published (a replica may cap it).
      const pool = x.ack?.runningPoolMax ?? x.published.db?.poolMax;
      if (pool !== undefined) current.poolMax = pool;
    }
    else if (previous.current?.runtimeGeneration !== undefined) current.runtimeGeneration = previous.current.runtimeGeneration;
    status.current = current;
    const knob = (d: Decision['replicas']) => ({ value: d.value, reason: d.reason.slice(0, 1024), ...(d.limitedBy ? { limitedBy: d.limitedBy } : {}), ...(d.message ? { message: d.message.slice(0, 2048) } : {}) });
    status.desired = {
      replicas: knob(decision.replicas),
      ...(decision.poolMax ? { poolMax: knob(decision.poolMax) } : {}),
      concurrency: decision.concurrency.map((c) => ({ provider: c.provider, value: c.value, reason: c.reason.slice(0, 1024), ...(c.limitedBy ? { limitedBy: c.limitedBy } : {}) })),
      serviceLevel: { value: decision.serviceLevel.value, reason: decision.serviceLevel.reason, ...(decision.serviceLevel.message ? { message: decision.serviceLevel.message.slice(0, 2048) } : {}) },
    };
    status.signals = this.signalStatus(previous, decision, x.observations, false);
    if (x.scaled) status.lastScaleTime = x.nowIso;
    const levelNow = x.dryRun ? decision.serviceLevel.value : x.published?.serviceLevel;
    const levelBefore = x.dryRun ? previous.desired?.serviceLevel?.value : previous.current?.serviceLevel;
    if (levelNow !== undefined && levelBefore !== undefined && levelNow !== levelBefore) status.lastLevelTransitionTime = x.nowIso;
    return status;
  }

  /**
   * status.signals. A read time alone is not worth a status write: `lastSuccessTime` is the one
   * stored (kept) unless `refresh` (the status is written anyway, or has no stamp yet); the gauge
   * plimsoll_signal_last_success_timestamp_seconds always has the latest.
   */
  private signalStatus(
    previous: ScalingPolicyStatus, decision: Decision, observations: Record<string, SignalObservation>, refresh: boolean,
  ): NonNullable<ScalingPolicyStatus['signals']> {
    return decision.signals.map((reading) => {
      const before = previous.signals?.find((s) => s.name === reading.name);
      const entry: NonNullable<ScalingPolicyStatus['signals']>[number] = { name: reading.name, state: reading.state, consecutiveFailures: 0 };
      const obs = observations[reading.name];
      if (obs) {
        entry.consecutiveFailures = obs.consecutiveFailures;
        if (obs.value !== undefined) entry.value = obs.value;
        if (obs.lastError && obs.consecutiveFailures > 0) entry.lastError = obs.lastError;
        if (obs.readAt !== undefined) {
          const read = new Date(obs.readAt).toISOString().replace(/\.\d+Z$/, 'Z');
          entry.lastSuccessTime = !refresh && before?.lastSuccessTime ? before.lastSuccessTime : read;
        }
      }
      return entry;
    });
  }

  private async writeStatus(ref: PolicyRef, previous: ScalingPolicyStatus, next: ScalingPolicyStatus): Promise<void> {
    this.exportConditions(ref.namespace, ref.name, next.conditions ?? []);
    if (canonicalJson(previous) === canonicalJson(next)) return; // steady state: no write
    const key = `${ref.namespace}/${ref.name}`;
    const basedOn = this.deps.caches.policy(key)?.metadata?.resourceVersion;
    // Still here, our last status write is one the cache has not shown yet (fresher dropped it otherwise).
    const inFlight = this.writes.get(key)?.status;
    await this.deps.api.applyStatus(ref, next);
    const writes = this.writes.get(key);
    const earlier = inFlight ? [...(inFlight.earlier ?? []), inFlight.value].slice(-MAX_EARLIER) : [];
    if (writes) writes.status = { basedOn, value: next, ...(earlier.length ? { earlier } : {}) };
  }

  private async event(ref: PolicyRef, type: 'Normal' | 'Warning', reason: string, action: string, note: string): Promise<void> {
    try {
      await this.deps.api.event(ref, type, reason, action, note);
    } catch (err) {
      // An Event is an explanation, not state: losing one must not fail or repeat the reconcile.
      this.deps.logger.warn({ err: String(err), reason }, 'event not recorded');
    }
  }

  /** plimsoll_policy_condition for the alerts (BudgetConstrained, Propagated, …): what status says. */
  private exportConditions(namespace: string, policy: string, conditions: Condition[]): void {
    const gauge = this.deps.metrics.policyCondition;
    const key = `${namespace}/${policy}`;
    const before = this.exportedConditions.get(key) ?? new Set<string>();
    const now = new Set(conditions.map((c) => c.type));
    for (const condition of before) {
      if (!now.has(condition)) for (const status of CONDITION_STATUSES) gauge.remove({ namespace, policy, condition, status });
    }
    for (const c of conditions) {
      for (const status of CONDITION_STATUSES) gauge.set({ namespace, policy, condition: c.type, status }, c.status === status ? 1 : 0);
    }
    if (now.size > 0) this.exportedConditions.set(key, now);
    else this.exportedConditions.delete(key);
  }

  private recordGauges(namespace: string, policy: string, d: Decision): void {
    const { metrics } = this.deps;
    metrics.desiredReplicas.set({ namespace, policy }, d.replicas.value);
    if (d.poolMax) metrics.desiredPoolMax.set({ namespace, policy }, d.poolMax.value);
    else metrics.desiredPoolMax.remove({ namespace, policy });
    metrics.serviceLevel.set({ namespace, policy }, levelRank[d.serviceLevel.value]);
    for (const c of d.concurrency) metrics.desiredConcurrency.set({ namespace, policy, provider: c.provider }, c.value);
  }
}

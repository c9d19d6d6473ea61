/**
 * The three ways of running the matcher that `make compare` puts side by side, each described by
 * what it sets on the stack: the Deployment's environment, the replicas it starts from, and the
 * object that governs it afterwards (a ScalingPolicy, a ScaledObject, or nothing).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScalingPolicySpec } from '../../src/plimsoll/api/scaling-policy.js';
import type { Scenario } from '../../src/plimsoll/simulator/scenario.js';
import { userSchedule } from '../load/schedule.js';

export const CONTENDERS = ['plimsoll', 'keda', 'static'] as const;
export type ContenderName = (typeof CONTENDERS)[number];

export interface ContenderPlan {
  name: ContenderName;
  /** One line for the report: who decides what. */
  description: string;
  initialReplicas: number;
  /** Environment set on the matcher Deployment (on top of matcher-config). */
  env: Record<string, string>;
  /** A manifest applied after the replicas are ready (the governing object), if any. */
  governor?: { kind: 'ScalingPolicy' | 'ScaledObject'; file: string };
}

/** KEY=VALUE lines; `#` comments and blank lines skipped. */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const env: Record<string, string> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`${file}:${i + 1}: expected KEY=VALUE, got ${JSON.stringify(line)}`);
    env[match[1]!] = match[2]!;
  });
  return env;
}

/** The fleet's peak request rate in the scenario: its most users (arrival rates as the load runner drives them) ÷ think time. */
export function peakRequestRate(scenario: Scenario): number {
  const schedule = userSchedule(scenario);
  return schedule.maxUsers / schedule.thinkTimeSeconds;
}

/**
 * A static fleet sized honestly for the scenario: its peak rate over the policy's per-replica
 * request-rate objective, within the policy's bounds; each replica gets the seeds' pool formula.
 */
export function staticFleet(spec: ScalingPolicySpec, scenario: Scenario): { replicas: number; poolMax: number } {
  const perReplica = spec.objectives.find((o) => o.target.type === 'AverageValue')?.target;
  const target = perReplica?.type === 'AverageValue' && perReplica.averageValue !== undefined ? perReplica.averageValue : 40;
  const replicas = Math.min(spec.replicas.max, Math.max(spec.replicas.min, Math.ceil(peakRequestRate(scenario) / target)));
  const budget = spec.connectionBudget;
  const available = (budget?.maxConnections ?? 100) - (budget?.reserved ?? 0);
  return { replicas, poolMax: Math.max(1, Math.floor((available / replicas) * (budget?.safetyFactor ?? 0.75))) };
}

/** The providers of matcher-config with each one's rate limit from the policy, as a static limiter. */
export function providersWithRateLimits(providersJson: string, spec: ScalingPolicySpec): string {
  const providers = JSON.parse(providersJson) as Array<Record<string, unknown> & { name: string }>;
  const limits = new Map((spec.queues?.providers ?? []).map((p) => [p.name, p.rateLimit]));
  return JSON.stringify(providers.map((p) => {
    const limit = limits.get(p.name);
    return limit ? { ...p, rateLimit: { requests: limit.requests, periodSeconds: limit.periodSeconds } } : p;
  }));
}

export interface PlanInputs {
  root: string;
  spec: ScalingPolicySpec;
  scenario: Scenario;
  policyFile: string;
  /** matcher-config's MATCHER_PROVIDERS on the stack. */
  providersJson: string;
}

export function planContender(name: ContenderName, inputs: PlanInputs): ContenderPlan {
  const { root, spec, scenario } = inputs;
  const peerEnv = (peer: string) => {
    const file = join(root, 'loadtests', 'peers', peer, 'matcher.env');
    return parseEnvFile(readFileSync(file, 'utf8'), file);
  };
  const rateLimited = { MATCHER_PROVIDERS: providersWithRateLimits(inputs.providersJson, spec) };
  switch (name) {
    case 'plimsoll':
      return {
        name, initialReplicas: spec.replicas.min, env: {},
        description: 'Plimsoll: replicas, pool per replica, worker concurrency and one cluster-wide level, coupled (the stack\'s ScalingPolicy)',
        governor: { kind: 'ScalingPolicy', file: inputs.policyFile },
      };
    case 'keda':
      return {
        name, initialReplicas: spec.replicas.min, env: { ...peerEnv('keda'), ...rateLimited },
        description: 'KEDA on the same Prometheus objectives and behaviour, fixed pool 25, the seeds\' fixed concurrency, per-replica degradation (loadtests/peers/keda)',
        governor: { kind: 'ScaledObject', file: join(root, 'loadtests', 'peers', 'keda', 'scaledobject.yaml') },
      };
    case 'static': {
      const fleet = staticFleet(spec, scenario);
      return {
        name, initialReplicas: fleet.replicas, env: { ...peerEnv('static'), MATCHER_DB_POOL_MAX: String(fleet.poolMax), ...rateLimited },
        description: `a static fleet of ${fleet.replicas} sized for the peak, pool ${fleet.poolMax} per replica (the seeds' formula), per-replica degradation (loadtests/peers/static)`,
      };
    }
  }
}

/** Every variable any contender sets: removed before a contender sets its own, so none leaks into the next. */
export function contenderEnvKeys(plans: ContenderPlan[]): string[] {
  return [...new Set(plans.flatMap((p) => Object.keys(p.env)))].sort();
}

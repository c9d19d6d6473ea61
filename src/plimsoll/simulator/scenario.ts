/**
 * Simulator scenario files (YAML): load phases, faults, the model's parameters and the baselines
 * to compare against. Validated with zod, so a typo names its field instead of silently running
 * a different experiment.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { PlimsollError } from '../errors.js';
import { readSingleDocument } from '../shared/files.js';
import { matcherModelSchema } from './model-params.js';

const usersSchema = z.union([
  z.number().min(0).max(100000),
  z.strictObject({ from: z.number().min(0).max(100000), to: z.number().min(0).max(100000) }),
]);

const phaseSchema = z
  .strictObject({
    name: z.string().max(64).optional(),
    durationSeconds: z.int().min(1).max(7 * 86400),
    /** Concurrent users, each sending a request, waiting for it, then thinking for thinkTimeSeconds. */
    users: usersSchema.optional(),
    /** Or an open arrival rate in requests per second. */
    arrivalRate: usersSchema.optional(),
  })
  .refine((p) => (p.users === undefined) !== (p.arrivalRate === undefined), { message: 'a phase sets exactly one of users or arrivalRate' });

const window = { at: z.int().min(0), durationSeconds: z.int().min(1) };

const eventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('providerOutage'), provider: z.string().min(1), ...window }),
  z.strictObject({
    type: z.literal('providerBrownout'),
    provider: z.string().min(1),
    latencyFactor: z.number().min(1).max(100).default(4),
    errorRatio: z.number().min(0).max(1).default(0.2),
    ...window,
  }),
  z.strictObject({ type: z.literal('databaseSlowdown'), factor: z.number().min(1).max(1000), ...window }),
  z.strictObject({ type: z.literal('signalOutage'), source: z.enum(['prometheus', 'pgbouncer', 'health']), ...window }),
  // Settings someone changes mid-run, in force for the window (then back to the model's value;
  // where two windows of one kind overlap, the later start wins).
  /** PgBouncer's max_client_conn (the DBA's client ceiling): clients past it are refused. */
  z.strictObject({ type: z.literal('maxClientConnChange'), value: z.int().min(1).max(100000), ...window }),
  /** PgBouncer's max_db_connections: the server connections to the database, all pools together. */
  z.strictObject({ type: z.literal('maxDbConnectionsChange'), value: z.int().min(1).max(100000), ...window }),
  /** A provider's real rate limit (what it enforces with 429s). */
  z.strictObject({
    type: z.literal('rateLimitChange'),
    provider: z.string().min(1),
    requests: z.int().min(1).max(1000000),
    periodSeconds: z.int().min(1).max(86400),
    ...window,
  }),
]);

export const scenarioSchema = z.strictObject({
  name: z.string().min(1).max(64),
  description: z.string().max(2000).default(''),
  /** The policy to simulate, relative to the scenario file; --policy overrides it. */
  policy: z.string().min(1).default('../../examples/matcher.yaml'),
  /** A JSON patch (test/replace operations) applied to the policy, relative to the scenario file. */
  policyPatch: z.string().min(1).optional(),
  seed: z.int().default(1),
  slo: z
    .strictObject({
      p95LatencySeconds: z.number().gt(0).default(4),
      successRate: z.number().min(0).max(1).default(0.99),
    })
    .prefault({}),
  load: z.strictObject({
    phases: z.array(phaseSchema).min(1).max(100),
    thinkTimeSeconds: z.number().gt(0).max(3600).default(2),
    /** Share of requests that ask for a new analysis; the rest are reads (listings, results). */
    analysisShare: z.number().min(0).max(1).default(0.15),
    cacheHitRatio: z.number().min(0).max(1).default(0.55),
  }),
  events: z.array(eventSchema).max(100).default([]),
  /** Policy signal name → model metric, for signals the default mapping does not know. */
  signals: z.record(z.string(), z.string()).default({}),
  model: matcherModelSchema.prefault({}),
  baselines: z
    .strictObject({
      static: z.strictObject({ replicas: z.int().min(1).max(1000).default(2) }).prefault({}),
      hpa: z
        .strictObject({
          /** Defaults to the policy's cpu-utilization objective, so both aim at the same target. */
          targetCpuUtilization: z.number().gt(0).max(1).optional(),
          /** The seeds' fixed pool: 25 connections per replica. */
          poolPerReplica: z.int().min(1).default(25),
          /** The seeds' fixed worker concurrency per replica and provider. */
          concurrency: z.record(z.string(), z.int().min(1)).default({ groq: 1, openai: 2, anthropic: 1 }),
          degradationIntervalSeconds: z.int().min(1).default(30),
        })
        .prefault({}),
    })
    .prefault({}),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioEvent = Scenario['events'][number];

/** The settings in force at `t`: the model's, as the setting events active then change them. */
export interface Settings {
  maxClientConnections: number;
  maxDbConnections: number;
  /** Each provider's real rate limit, requests per second. */
  providerRate: Record<string, number>;
}

export function settingsAt(scenario: Pick<Scenario, 'model' | 'events'>, t: number): Settings {
  const { database, providers } = scenario.model;
  const settings: Settings = {
    maxClientConnections: database.maxClientConnections,
    maxDbConnections: database.maxDbConnections,
    providerRate: Object.fromEntries(Object.entries(providers).map(([name, p]) => [name, p.requestsPerMinute / 60])),
  };
  const due = scenario.events.filter((e) => e.at <= t && t < e.at + e.durationSeconds).sort((a, b) => a.at - b.at);
  for (const e of due) {
    if (e.type === 'maxClientConnChange') settings.maxClientConnections = e.value;
    else if (e.type === 'maxDbConnectionsChange') settings.maxDbConnections = e.value;
    else if (e.type === 'rateLimitChange') settings.providerRate[e.provider] = e.requests / e.periodSeconds;
  }
  return settings;
}

export function scenarioDuration(s: Scenario): number {
  return s.load.phases.reduce((sum, p) => sum + p.durationSeconds, 0);
}

export async function loadScenario(path: string): Promise<{ scenario: Scenario; policyPath: string; policyPatchPath?: string }> {
  const document = await readSingleDocument(path, 'scenario');
  const parsed = scenarioSchema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
    throw new PlimsollError('SCENARIO_INVALID', `${path} is not a valid scenario`, { problems });
  }
  const scenario = parsed.data;
  const duration = scenarioDuration(scenario);
  const late = scenario.events.filter((e) => e.at >= duration);
  if (late.length > 0) {
    throw new PlimsollError('SCENARIO_INVALID', `${path}: events start after the load ends (${duration} s)`, {
      problems: late.map((e) => ({ path: `events[${scenario.events.indexOf(e)}].at`, message: `${e.at} is not before ${duration}` })),
    });
  }
  const unknown = scenario.events.flatMap((e, i) =>
    (e.type === 'rateLimitChange' || e.type === 'providerOutage' || e.type === 'providerBrownout') && !(e.provider in scenario.model.providers)
      ? [{ path: `events[${i}].provider`, message: `"${e.provider}" is not one of the model's providers (${Object.keys(scenario.model.providers).join(', ')})` }]
      : [],
  );
  if (unknown.length > 0) throw new PlimsollError('SCENARIO_INVALID', `${path}: an event names an unknown provider`, { problems: unknown });
  return {
    scenario,
    policyPath: resolve(dirname(path), scenario.policy),
    ...(scenario.policyPatch ? { policyPatchPath: resolve(dirname(path), scenario.policyPatch) } : {}),
  };
}

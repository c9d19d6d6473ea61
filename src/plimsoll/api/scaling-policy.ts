/**
 * The ScalingPolicy API (plimsoll.dev/v1alpha1), defined once.
 *
 * These zod schemas are the single source of truth: the TypeScript types are inferred from
 * them, `plimsoll crd` generates the CRD's structural OpenAPI schema from them (descriptions,
 * defaults, enums, bounds and the CEL rules in `x-kubernetes-validations`), and
 * `plimsoll validate` checks files with the same schema and the same CEL rules the API server
 * enforces. Field names mirror the HPA (autoscaling/v2) and KEDA where the meaning is the same.
 *
 * Every list and string carries a bound: the API server estimates the cost of each CEL rule from
 * them and refuses a CRD whose rules could run unbounded.
 */
import { z } from 'zod';
import { SERVICE_LEVELS } from '../contract/service-levels.js';
import { MATCHER_CONTRACT, MAX_IMPLYING_PROVIDER_NAME, PGBOUNCER_SIGNAL_NAMES, expandImpliedSignals, impliedNamesCel } from './implied-signals.js';

export const API_GROUP = 'plimsoll.dev';
export const API_VERSION = 'v1alpha1';
export const KIND = 'ScalingPolicy';

type Rule = { rule: string; message: string; fieldPath?: string; reason?: string };
const rules = (...list: Rule[]) => ({ 'x-kubernetes-validations': list });
/** CEL: exactly one of these optional fields is set. */
const exactlyOne = (fields: string[], message: string): Rule =>
  ({ rule: `${fields.map((f) => `(has(self.${f}) ? 1 : 0)`).join(' + ')} == 1`, message });

/** A DNS-1123 label: the shape of every name users give signals and providers. */
const dnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label: lower-case letters, digits and "-"');

const seconds = (min: number, max: number) => z.int().min(min).max(max);

/**
 * An optional object that defaults to itself with every field defaulted. The CRD then carries
 * the complete default (not `{}`): the API server checks a default against the object's own CEL
 * rules without filling in nested defaults first, so `{}` would fail a rule like `self.min <= self.max`.
 */
function defaulted<T extends z.ZodObject>(schema: T) {
  return schema.default(schema.parse({}) as z.core.util.NoUndefined<z.output<T>>);
}

// ---------------------------------------------------------------------------------------------
// Target and replicas

export const targetRefSchema = z
  .strictObject({
    apiVersion: z.literal('apps/v1').default('apps/v1').meta({ description: 'API version of the target. Only apps/v1 is supported.' }),
    kind: z.literal('Deployment').default('Deployment').meta({ description: 'Kind of the target. Only Deployment is supported.' }),
    name: z.string().min(1).max(253).meta({ description: 'Name of the Deployment, in the policy\'s namespace, that this policy governs.' }),
  })
  .meta({ description: 'The workload this policy scales and configures (like the HPA\'s scaleTargetRef).' });

export const scalingPolicyRuleSchema = z
  .strictObject({
    type: z.enum(['Pods', 'Percent']).meta({ description: 'Pods: change by an absolute number of replicas. Percent: change by a percentage of the replicas at the start of the period.' }),
    value: z.int().min(1).max(1000).meta({ description: 'The amount of change allowed within periodSeconds. Must be greater than zero.' }),
    periodSeconds: seconds(1, 1800).meta({ description: 'The window, in seconds, over which the change is counted (1 to 1800).' }),
  })
  .meta({ description: 'One rate limit on scaling, as in the HPA\'s HPAScalingPolicy.' });

const scalingRulesSchema = (direction: 'up' | 'down') => {
  const isUp = direction === 'up';
  const defaultPolicies = isUp
    ? [{ type: 'Percent' as const, value: 100, periodSeconds: 15 }, { type: 'Pods' as const, value: 4, periodSeconds: 15 }]
    : [{ type: 'Percent' as const, value: 100, periodSeconds: 15 }];
  return z
    .strictObject({
      stabilizationWindowSeconds: seconds(0, 3600)
        .default(isUp ? 0 : 300)
        .meta({
          description: isUp
            ? 'Scale up to the lowest recommendation seen within this many seconds (default 0: at once).'
            : 'Scale down only to the highest recommendation seen within this many seconds (default 300).',
        }),
      selectPolicy: z
        .enum(['Max', 'Min', 'Disabled'])
        .default('Max')
        .meta({ description: 'Which policy wins when several apply: Max allows the largest change, Min the smallest; Disabled turns this direction off.' }),
      policies: z
        .array(scalingPolicyRuleSchema)
        .min(1)
        .max(10)
        .default(defaultPolicies)
        .meta({
          description: isUp
            ? 'Rate limits on scaling up. Default: 100% or 4 pods per 15 s, whichever is larger.'
            : 'Rate limits on scaling down. Default: 100% per 15 s.',
        }),
      tolerance: z
        .number()
        .min(0)
        .max(1)
        .default(0.1)
        .meta({ description: `Ignore a ${isUp ? 'rise' : 'fall'} of the usage ratio smaller than this fraction of the target (default 0.1).` }),
    })
    .meta({ description: `How to scale ${direction} (HPA v2 behavior semantics).` });
};

export const replicasSchema = z
  .strictObject({
    min: z.int().min(1).max(1000).default(1).meta({ description: 'Fewest replicas the policy may set (default 1). At least 1: Plimsoll does not scale from zero, and a target scaled to 0 by hand is left at 0 (scaling disabled, as the HPA does) until it is scaled to 1 or more.' }),
    max: z.int().min(1).max(1000).meta({ description: 'Most replicas the policy may set. The connection budget may cap replicas lower.' }),
    behavior: defaulted(
      z
        .strictObject({
          scaleUp: defaulted(scalingRulesSchema('up')),
          scaleDown: defaulted(scalingRulesSchema('down')),
        })
        .meta({ description: 'Stabilization windows, rate policies and tolerance for each direction, as in the HPA\'s behavior.' }),
    ),
  })
  .meta({
    description: 'Bounds and behaviour of the replica count.',
    ...rules({ rule: 'self.min <= self.max', message: 'replicas.min must be less than or equal to replicas.max', fieldPath: '.min' }),
  });

// ---------------------------------------------------------------------------------------------
// Signals

export const prometheusSourceSchema = z
  .strictObject({
    server: dnsLabel.optional()
      .meta({ description: 'Name of a Prometheus server the cluster administrator registered with the operator (its signal sources file). Unset: the registered default. A policy cannot name an address of its own.' }),
    serverAddress: z.string().min(1).max(512).regex(/^https?:\/\//, 'must be an http:// or https:// URL').optional()
      .meta({ description: 'Deprecated; use server. Accepted only when it equals the address of a registered Prometheus server (the operator then reads that server); any other address leaves the policy Ready=False and nothing is fetched. Unset: the registered default.' }),
    query: z.string().min(1).max(4096).meta({ description: 'PromQL instant query. It must return one series (or none); the first sample\'s value is the signal.' }),
    timeoutSeconds: seconds(1, 60).default(5).meta({ description: 'Give up on the query after this many seconds (default 5).' }),
    emptyResult: z
      .enum(['Missing', 'Zero'])
      .default('Missing')
      .meta({ description: 'What an empty result means: Missing treats the signal as unavailable (no scale-down); Zero reads it as 0.' }),
  })
  .meta({
    description: 'Read the signal from a Prometheus instant query, on a server the cluster administrator registered.',
    ...rules({ rule: '!(has(self.server) && has(self.serverAddress))', message: 'set server or the deprecated serverAddress, not both', fieldPath: '.serverAddress' }),
  });

export const pgbouncerMetrics = [
  'ClientsWaiting',
  'MaxWaitSeconds',
  'ClientsActive',
  'ServersActive',
  'MaxClientConnections',
  'MaxDatabaseConnections',
  'DefaultPoolSize',
] as const;

export const pgbouncerSourceSchema = z
  .strictObject({
    secretRef: z
      .strictObject({
        name: z.string().min(1).max(253).meta({ description: 'Name of a Secret in the policy\'s namespace.' }),
        key: z.string().min(1).max(253).default('uri').meta({ description: 'Key holding a postgres:// URI for PgBouncer\'s admin console, database "pgbouncer" (default "uri").' }),
      })
      .optional()
      .meta({ description: 'Deprecated; use source. A Secret in the policy\'s namespace with the admin-console URI, read only when the Secret consents: it must carry the label plimsoll.dev/consumer=<this policy\'s name>. Unset: the registered source.' }),
    source: dnsLabel.optional()
      .meta({ description: 'Name of a PgBouncer admin endpoint the cluster administrator registered with the operator, with its credentials. Unset (and no secretRef): the registered default.' }),
    database: z.string().min(1).max(63).meta({ description: 'The PgBouncer database (pool) whose figures are read.' }),
    metric: z.enum(pgbouncerMetrics).meta({
      description:
        'Which figure: ClientsWaiting (cl_waiting, SHOW POOLS), MaxWaitSeconds (maxwait), ClientsActive (cl_active), ServersActive (sv_active), MaxClientConnections (max_client_conn, SHOW CONFIG), MaxDatabaseConnections (max_db_connections), DefaultPoolSize (default_pool_size).',
    }),
  })
  .meta({
    description: 'Read the signal from PgBouncer\'s admin console (SHOW POOLS / STATS / CONFIG / DATABASES), on an endpoint the cluster administrator registered.',
    ...rules({ rule: '!(has(self.source) && has(self.secretRef))', message: 'set source or the deprecated secretRef, not both', fieldPath: '.secretRef' }),
  });

export const healthSourceSchema = z
  .strictObject({
    url: z.string().min(1).max(512).regex(/^https?:\/\//, 'must be an http:// or https:// URL').optional()
      .meta({ description: 'Deprecated. A single URL to read instead of the target\'s ready endpoints, honoured only when the cluster administrator registered it with the operator; any other URL leaves the policy Ready=False and nothing is fetched. Unset (the normal case): the target\'s own ready pods, found through its EndpointSlices.' }),
    port: z.int().min(1).max(65535).default(8080).meta({ description: 'Port of each ready endpoint of the target, when url is not set (default 8080).' }),
    path: z.string().min(1).max(256).regex(/^\//, 'must start with "/"').default('/health/details')
      .meta({ description: 'HTTP path of the health document (default /health/details).' }),
    field: z.string().min(1).max(256).regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_-]+)*$/, 'must be a dotted path such as memory.heapUsedBytes')
      .meta({ description: 'Dotted path of a numeric (or boolean: 1/0) field in the health document, e.g. memory.heapUsedBytes.' }),
    aggregate: z.enum(['Max', 'Min', 'Average', 'Sum']).default('Max')
      .meta({ description: 'How the replicas\' values combine into one signal (default Max: the worst replica).' }),
    timeoutSeconds: seconds(1, 30).default(2).meta({ description: 'Per-request timeout in seconds (default 2).' }),
  })
  .meta({ description: 'Read the signal from the matcher\'s health document, over the target\'s ready endpoints or one URL.' });

export const signalSchema = z
  .strictObject({
    name: dnsLabel.meta({ description: 'Name that objectives, degradation triggers and providers refer to.' }),
    prometheus: prometheusSourceSchema.optional(),
    pgbouncer: pgbouncerSourceSchema.optional(),
    health: healthSourceSchema.optional(),
  })
  .meta({
    description: 'One named input. Exactly one source (prometheus, pgbouncer or health) must be set.',
    ...rules(exactlyOne(['prometheus', 'pgbouncer', 'health'], 'a signal must set exactly one source: prometheus, pgbouncer or health')),
  });

// ---------------------------------------------------------------------------------------------
// Objectives

export const objectiveSchema = z
  .strictObject({
    signal: dnsLabel.meta({ description: 'Name of a declared signal.' }),
    target: z
      .strictObject({
        type: z.enum(['Value', 'AverageValue']).meta({
          description: 'Value: the signal is a per-replica figure (e.g. p95 latency) compared with value. AverageValue: the signal is a total (e.g. request rate) divided over replicas and compared with averageValue.',
        }),
        value: z.number().gt(0).optional().meta({ description: 'Target for type Value.' }),
        averageValue: z.number().gt(0).optional().meta({ description: 'Target per replica for type AverageValue.' }),
      })
      .meta({
        description: 'The target, as in the HPA\'s MetricTarget.',
        ...rules(
          { rule: "self.type != 'Value' || has(self.value)", message: 'target.value is required when target.type is Value', fieldPath: '.value' },
          { rule: "self.type != 'AverageValue' || has(self.averageValue)", message: 'target.averageValue is required when target.type is AverageValue', fieldPath: '.averageValue' },
        ),
      }),
    measures: z.enum(['Load', 'Backlog']).default('Load').meta({
      description:
        'Load (default): a rate or utilisation the replicas share, as in the HPA. Backlog: work piled up on the ready replicas (requests in flight, a queue), which leads the load in a surge; the replicas still starting will drain it, so while any start (and the ready count is known) a Backlog objective asks for no more replicas than there are.',
    }),
  })
  .meta({ description: 'Keep a signal at its target by changing replicas. With several objectives, the largest recommendation wins.' });

// ---------------------------------------------------------------------------------------------
// Connection budget

export const connectionBudgetSchema = z
  .strictObject({
    maxConnections: z.int().min(1).max(100000).optional()
      .meta({ description: 'The fixed connection budget the replicas\' pools share: PostgreSQL max_connections, or PgBouncer max_client_conn.' }),
    fromSignal: dnsLabel.optional()
      .meta({ description: 'Read the budget from a signal instead, e.g. a pgbouncer signal with metric MaxClientConnections.' }),
    reserved: z.int().min(0).max(100000).default(15).meta({ description: 'Connections kept back for administrators, migrations and the operator (default 15).' }),
    safetyFactor: z.number().gt(0).max(1).default(0.75).meta({ description: 'Fraction of each replica\'s share that its pool may use, in (0, 1] (default 0.75).' }),
    pool: defaulted(
      z
        .strictObject({
          min: z.int().min(1).max(10000).default(2).meta({ description: 'Smallest pool per replica (default 2). Replicas are capped so that replicas × min fits the budget.' }),
          max: z.int().min(1).max(10000).default(50).meta({ description: 'Largest pool per replica (default 50).' }),
        })
        .meta({
          description: 'Bounds of each replica\'s database pool.',
          ...rules({ rule: 'self.min <= self.max', message: 'connectionBudget.pool.min must be less than or equal to pool.max', fieldPath: '.min' }),
        }),
    ),
    saturation: z
      .strictObject({
        clientsWaitingSignal: dnsLabel.optional().meta({ description: 'Signal with PgBouncer\'s waiting clients (cl_waiting).' }),
        clientsWaitingThreshold: z.int().min(0).max(100000).default(10).meta({ description: 'Brake scale-out while more clients than this wait (default 10).' }),
        maxWaitSignal: dnsLabel.optional().meta({ description: 'Signal with PgBouncer\'s oldest wait in seconds (maxwait).' }),
        maxWaitSecondsThreshold: z.number().min(0).max(3600).default(1).meta({ description: 'Brake scale-out while the oldest client waits longer than this (default 1 s).' }),
      })
      .optional()
      .meta({ description: 'When PgBouncer\'s queue says the database, not the replicas, is the bottleneck, do not add replicas.' }),
  })
  .meta({
    description: 'The database connections all replicas share. Each replica\'s pool is clamp(floor((budget − reserved) / replicas × safetyFactor), pool.min, pool.max), and replicas × pool never exceeds budget − reserved.',
    ...rules(
      exactlyOne(['maxConnections', 'fromSignal'], 'connectionBudget must set exactly one of maxConnections or fromSignal'),
      {
        rule: '!has(self.maxConnections) || self.maxConnections - self.reserved >= self.pool.min',
        message: 'connectionBudget.maxConnections minus reserved must leave room for at least one pool of pool.min connections',
        fieldPath: '.maxConnections',
      },
    ),
  });

// ---------------------------------------------------------------------------------------------
// Queues

export const providerSchema = z
  .strictObject({
    name: dnsLabel.meta({ description: 'Provider name, as the matcher\'s queue for it is named (e.g. openai).' }),
    rateLimit: z
      .strictObject({
        requests: z.int().min(1).max(1000000).meta({ description: 'Requests the provider allows per period, for the whole deployment.' }),
        periodSeconds: seconds(1, 86400).meta({ description: 'The period of the rate limit, in seconds.' }),
      })
      .meta({ description: 'The provider\'s cluster-wide rate limit, passed to every replica\'s queue as a global limiter.' }),
    concurrency: defaulted(
      z
        .strictObject({
          min: z.int().min(1).max(1000).default(1).meta({ description: 'Fewest concurrent calls per replica (default 1).' }),
          max: z.int().min(1).max(1000).default(10).meta({ description: 'Most concurrent calls per replica (default 10).' }),
        })
        .meta({
          description: 'Bounds of each replica\'s worker concurrency for this provider.',
          ...rules({ rule: 'self.min <= self.max', message: 'concurrency.min must be less than or equal to concurrency.max', fieldPath: '.min' }),
        }),
    ),
    latencySignal: dnsLabel.optional().meta({ description: 'Signal with the provider\'s recent latency in seconds; feeds adaptive concurrency.' }),
    throttledSignal: dnsLabel.optional().meta({ description: 'Signal with the provider\'s rate of 429 responses per second.' }),
    errorRatioSignal: dnsLabel.optional().meta({ description: 'Signal with the provider\'s error ratio (0–1), timeouts included.' }),
    inFlightSignal: dnsLabel.optional().meta({ description: 'Signal with calls in flight per replica; AIMD grows the limit only when it is used.' }),
  })
  .meta({ description: 'One AI provider and the bounds of its queue.' });

export const adaptiveSchema = z
  .strictObject({
    algorithm: z.enum(['None', 'AIMD', 'Gradient2']).default('AIMD').meta({
      description: 'None: concurrency is the rate-limit share alone. AIMD: additive increase, multiplicative decrease on 429s, errors or slow replies. Gradient2: follow the ratio of long-term to recent latency.',
    }),
    latencyTargetSeconds: z.number().gt(0).max(600).default(10).meta({ description: 'A reply slower than this counts as a drop for AIMD (default 10 s).' }),
    errorRatioThreshold: z.number().min(0).max(1).default(0.05).meta({ description: 'An error ratio above this counts as a drop (default 0.05).' }),
    backoffRatio: z.number().gt(0).lt(1).default(0.9).meta({ description: 'AIMD: multiply the limit by this on a drop (default 0.9).' }),
    increase: z.int().min(1).max(100).default(1).meta({ description: 'AIMD: add this to the limit when at least half of it is in use (default 1).' }),
    smoothing: z.number().gt(0).max(1).default(0.2).meta({ description: 'Gradient2: weight of the new estimate (default 0.2).' }),
    rttTolerance: z.number().min(1).max(10).default(1.5).meta({ description: 'Gradient2: how much slower than the long-term latency is tolerated (default 1.5).' }),
    longWindowPolls: z.int().min(2).max(10000).default(40).meta({ description: 'Gradient2: length, in polls, of the long-term latency average (default 40).' }),
  })
  .meta({ description: 'How per-replica concurrency adapts to provider latency, 429s and errors.' });

export const queuesSchema = z
  .strictObject({
    providers: z.array(providerSchema).min(1).max(16).meta({ description: 'The AI providers the matcher calls.' }),
    adaptive: defaulted(adaptiveSchema),
    deadlineSeconds: z.int().min(1).max(86_400).default(60).meta({
      description: 'How long a user waits for a provider\'s answer (default 60 s). Each provider queue admits only what the provider\'s rate limit can answer within it (published as maxWaiting); an analysis beyond that goes to the next provider with room, else the local matcher answers it at once instead of letting it expire.',
    }),
  })
  .meta({
    description: 'Worker concurrency per AI provider, kept within each provider\'s rate limit.',
    ...rules({
      rule: 'self.providers.all(p, self.providers.exists_one(q, q.name == p.name))',
      message: 'provider names must be unique',
      fieldPath: '.providers',
    }),
  });

// ---------------------------------------------------------------------------------------------
// Degradation

export const triggerSchema = z
  .strictObject({
    signal: dnsLabel.meta({ description: 'Name of a declared signal.' }),
    operator: z.enum(['Above', 'Below']).meta({
      description: 'Above: fires when the signal is greater than enter, clears when it is at or below exit. Below: fires when it is less than enter, clears when it is at or above exit.',
    }),
    enter: z.number().meta({ description: 'Threshold that enters the level.' }),
    exit: z.number().meta({ description: 'Threshold that clears the trigger. Must be on the safe side of enter (≤ enter for Above, ≥ enter for Below), which gives hysteresis.' }),
    whenMissing: z.enum(['Ignore', 'Fire']).default('Ignore').meta({
      description: 'What a missing signal means for this trigger: Ignore (default) or Fire (treat the unknown as dangerous).',
    }),
  })
  .meta({
    description: 'One condition that pushes the service into a level.',
    ...rules({
      rule: "self.operator == 'Above' ? self.exit <= self.enter : self.exit >= self.enter",
      message: 'exit must be on the safe side of enter: exit <= enter for Above, exit >= enter for Below',
      fieldPath: '.exit',
    }),
  });

export const levelRuleSchema = z
  .strictObject({
    level: z.enum(['Reduced', 'Basic', 'Maintenance']).meta({ description: 'The level these triggers enter.' }),
    triggers: z.array(triggerSchema).min(1).max(16).meta({ description: 'Any firing trigger enters the level; it is left when all have cleared and the dwell has passed.' }),
  })
  .meta({ description: 'The triggers of one service level.' });

export const degradationSchema = z
  .strictObject({
    minDwellSeconds: seconds(0, 86400).default(60).meta({ description: 'Stay at least this long in a level before stepping down one level (default 60). Escalation is never delayed.' }),
    levels: z.array(levelRuleSchema).max(3).default([]).meta({ description: 'Rules per level. Escalation goes straight to the highest firing level; de-escalation goes one level at a time.' }),
    escalateWhenBudgetConstrained: z.enum(['Full', 'Reduced', 'Basic']).default('Reduced').meta({
      description: 'The level to hold at least while the connection budget caps replicas below what the objectives ask (default Reduced; Full turns this off).',
    }),
  })
  .meta({
    description: 'One service level for the whole deployment: Full, Reduced (cache first, fastest healthy provider), Basic (cache or local matcher; no provider calls), Maintenance (read-only).',
    ...rules({
      rule: 'self.levels.all(l, self.levels.exists_one(m, m.level == l.level))',
      message: 'each level may appear only once in degradation.levels',
      fieldPath: '.levels',
    }),
  });

// ---------------------------------------------------------------------------------------------
// Fallback and runtime

export const fallbackSchema = z
  .strictObject({
    failureThreshold: z.int().min(1).max(100).default(3).meta({ description: 'Consecutive failed reads after which a signal counts as missing (default 3).' }),
    maxStalenessSeconds: seconds(1, 86400).default(120).meta({ description: 'A value older than this counts as missing, whatever the failures (default 120).' }),
    behavior: z.enum(['HoldLast', 'ScaleUpOnly', 'StaticReplicas']).default('ScaleUpOnly').meta({
      description: 'When an objective\'s signal is missing: HoldLast keeps the replicas; ScaleUpOnly follows the remaining objectives upward only (default); StaticReplicas sets replicas.',
    }),
    replicas: z.int().min(1).max(1000).optional().meta({ description: 'Replicas for StaticReplicas.' }),
  })
  .meta({
    description: 'What to do when signals fail (like KEDA\'s fallback).',
    ...rules({ rule: "self.behavior != 'StaticReplicas' || has(self.replicas)", message: 'fallback.replicas is required when behavior is StaticReplicas', fieldPath: '.replicas' }),
  });

export const acknowledgementSchema = z
  .strictObject({
    mode: z.enum(['IfReported', 'Required', 'Disabled']).default('IfReported').meta({
      description: 'Whether a scale-out waits until every ready replica reports (runtimeGeneration and runtime.lineage in the health signal\'s document) that it runs the smaller pool. IfReported (default): waits when the policy has a health signal and the replicas report; otherwise it proceeds and Propagated says why (NoHealthSignal, GenerationNotReported). Required: a health signal is required and a replica that does not report counts as not acknowledged. Disabled: never waits.',
    }),
    timeoutSeconds: seconds(1, 3600).default(60).meta({
      description: 'How long a scale-out waits for the acknowledgement of one runtime document before onTimeout applies (default 60). Replicas slow to answer under overload must not hold back the scale-out that would relieve them.',
    }),
    onTimeout: z.enum(['ScaleWithinBudget', 'Hold']).default('ScaleWithinBudget').meta({
      description: 'After the timeout: ScaleWithinBudget (default) scales out as far as the connection budget holds with every replica that has not acknowledged counted at the larger pool it may still run (the one it reports, else the one in force before); Hold keeps waiting. Either way the replicas that have not acknowledged are named in status.acknowledgement and in a Warning Event.',
    }),
  })
  .meta({ description: 'The acknowledgement barrier between publishing a smaller pool and adding replicas.' });

export const runtimeSchema = z
  .strictObject({
    configMapName: z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a valid ConfigMap name').optional()
      .meta({ description: 'Name of the ConfigMap carrying the runtime document (default: <policy name>-runtime). The operator creates it and writes only a ConfigMap it created for this policy: naming an existing ConfigMap of anyone else leaves the policy Ready=False (ConfigMapNotOwned) and that ConfigMap untouched.' }),
    acknowledgement: defaulted(acknowledgementSchema),
  })
  .meta({ description: 'Where the runtime document every replica applies live is published.' });

// ---------------------------------------------------------------------------------------------
// Standard signals (implied-signals.ts expands them)

/** A comma-separated list of PromQL label matchers: name="value", name!="value", name=~"re", name!~"re". */
const PROMQL_MATCHERS = /^[a-zA-Z_][a-zA-Z0-9_]*(=|!=|=~|!~)"(?:[^"\\]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*(=|!=|=~|!~)"(?:[^"\\]|\\.)*")*$/;

export const standardSignalsSchema = z
  .strictObject({
    contract: z.enum([MATCHER_CONTRACT]).meta({
      description: `The contract the target speaks. ${MATCHER_CONTRACT}: the matcher's metric names and health fields (src/plimsoll/contract/).`,
    }),
    pgbouncer: z
      .strictObject({
        database: z.string().min(1).max(63).meta({ description: 'The PgBouncer database (pool) the target connects through, e.g. plimsoll.' }),
      })
      .optional()
      .meta({ description: `Also implies ${PGBOUNCER_SIGNAL_NAMES.join(' and ')} (ClientsWaiting and MaxWaitSeconds of this pool, on the registered default PgBouncer).` }),
    prometheus: z
      .strictObject({
        selector: z
          .string()
          .min(1)
          .max(512)
          .regex(PROMQL_MATCHERS, 'must be PromQL label matchers, e.g. namespace="shop",service="matcher"')
          .meta({
            description:
              'PromQL label matchers added to every series the implied Prometheus signals read, e.g. namespace="shop",service="matcher", so that on a Prometheus shared by several matchers each policy reads only its own target.',
          }),
      })
      .optional()
      .meta({ description: 'How the implied Prometheus signals find this target\'s series.' }),
  })
  .meta({
    description:
      `Declares that the target speaks a known contract, so its standard signals need not be written. ${MATCHER_CONTRACT} implies, from the registered default Prometheus: ` +
      'request-rate (HTTP requests/s less those refused for a tenant\'s rate limit or Maintenance), cpu-utilization (cores per replica, scrape job named after the target), ' +
      'in-flight (HTTP requests in flight, summed over the ready replicas\' /health/details), ' +
      'queue-waiting (analyses waiting in the provider queues), healthy-providers (closed circuit breakers); from the ready replicas\' /health/details: ' +
      'heap-used-bytes (largest heap) and database-healthy (1 while every replica reaches the database); per provider of queues.providers: <provider>-latency ' +
      '(median latency of successful calls, s), <provider>-throttled (429s/s) and <provider>-errors (share of calls failed, 429s aside), which become the provider\'s latencySignal, throttledSignal and errorRatioSignal unless it names its own; ' +
      'with pgbouncer.database, pgbouncer-waiting and pgbouncer-max-wait. A signal in spec.signals with the same name overrides the implied one. ' +
      '`plimsoll validate --explain` prints each implied signal\'s query; docs/policy.md has the table.',
  });

/** CEL: the signal names spec.standardSignals implies; a reference may name one of them or a declared signal. */
const IMPLIED_NAMES = impliedNamesCel();
const declaredOrImplied = (name: string) => `((has(self.signals) && self.signals.exists(s, s.name == ${name})) || ${name} in ${IMPLIED_NAMES})`;

// ---------------------------------------------------------------------------------------------
// Spec

const referencedSignalsRule = (path: string, what: string): Rule => ({
  rule: `!has(self.${path}) || self.${path}.all(o, ${declaredOrImplied('o.signal')})`,
  message: `every ${what} must name a signal declared in spec.signals or implied by spec.standardSignals`,
  fieldPath: `.${path}`,
});

/** The spec as written, defaults applied but implied signals not expanded: what the API server's CEL rules see. */
export const writtenSpecSchema = z
  .strictObject({
    targetRef: targetRefSchema,
    mode: z.enum(['Enforce', 'DryRun']).default('Enforce').meta({ description: 'Enforce applies decisions; DryRun only records them in status and Events.' }),
    pollingIntervalSeconds: seconds(1, 3600).default(15).meta({ description: 'Seconds between evaluations (default 15), as in KEDA.' }),
    replicas: replicasSchema,
    standardSignals: standardSignalsSchema.optional(),
    signals: z.array(signalSchema).max(32).default([]).meta({ description: 'Named inputs the decisions are made from. With standardSignals, the signals it implies come first and one written here with the same name overrides the implied one.' }),
    objectives: z.array(objectiveSchema).max(16).default([]).meta({ description: 'Targets that drive the replica count.' }),
    connectionBudget: connectionBudgetSchema.optional(),
    queues: queuesSchema.optional(),
    degradation: defaulted(degradationSchema),
    fallback: defaulted(fallbackSchema),
    runtime: defaulted(runtimeSchema),
  })
  .meta({
    description: 'How Plimsoll governs one Deployment.',
    ...rules(
      { rule: '!has(self.signals) || self.signals.all(s, self.signals.exists_one(t, t.name == s.name))', message: 'signal names must be unique', fieldPath: '.signals' },
      referencedSignalsRule('objectives', 'objective'),
      {
        rule: `!has(self.degradation) || !has(self.degradation.levels) || self.degradation.levels.all(l, l.triggers.all(t, ${declaredOrImplied('t.signal')}))`,
        message: 'every degradation trigger must name a signal declared in spec.signals or implied by spec.standardSignals',
        fieldPath: '.degradation.levels',
      },
      {
        rule: `!has(self.connectionBudget) || !has(self.connectionBudget.fromSignal) || ${declaredOrImplied('self.connectionBudget.fromSignal')}`,
        message: 'connectionBudget.fromSignal must name a signal declared in spec.signals or implied by spec.standardSignals',
        fieldPath: '.connectionBudget.fromSignal',
      },
      {
        rule: `!has(self.queues) || self.queues.providers.all(p, [has(p.latencySignal) ? p.latencySignal : '', has(p.throttledSignal) ? p.throttledSignal : '', has(p.errorRatioSignal) ? p.errorRatioSignal : '', has(p.inFlightSignal) ? p.inFlightSignal : ''].all(n, n == '' || ${declaredOrImplied('n')}))`,
        message: 'every provider signal (latencySignal, throttledSignal, errorRatioSignal, inFlightSignal) must name a signal declared in spec.signals or implied by spec.standardSignals',
        fieldPath: '.queues.providers',
      },
      {
        // status.signals holds at most 32, so the expanded list must fit too.
        rule: `(has(self.signals) ? size(self.signals) : 0) + size(${IMPLIED_NAMES}.filter(n, !(has(self.signals) && self.signals.exists(s, s.name == n)))) <= 32`,
        message: 'spec.signals and the signals spec.standardSignals implies must be at most 32 together (a written signal that overrides an implied one counts once)',
        fieldPath: '.signals',
      },
      {
        rule: `!has(self.standardSignals) || !has(self.queues) || self.queues.providers.all(p, size(p.name) <= ${MAX_IMPLYING_PROVIDER_NAME})`,
        message: `with spec.standardSignals, provider names must be at most ${MAX_IMPLYING_PROVIDER_NAME} characters: their implied signals (<provider>-throttled) are DNS-1123 labels`,
        fieldPath: '.queues.providers',
      },
      {
        rule: "!has(self.runtime) || !has(self.runtime.acknowledgement) || !has(self.runtime.acknowledgement.mode) || self.runtime.acknowledgement.mode != 'Required' || has(self.standardSignals) || (has(self.signals) && self.signals.exists(s, has(s.health)))",
        message: "runtime.acknowledgement.mode Required needs a health signal: the replicas report what they applied in their health document",
        fieldPath: '.runtime.acknowledgement.mode',
      },
      {
        rule: "!has(self.fallback) || !has(self.fallback.replicas) || (self.fallback.replicas >= self.replicas.min && self.fallback.replicas <= self.replicas.max)",
        message: 'fallback.replicas must lie within replicas.min and replicas.max',
        fieldPath: '.fallback.replicas',
      },
    ),
  });

/**
 * The spec the engine works on: parsing makes the implied signals explicit (as it applies
 * defaults), so every consumer of a parsed spec (the operator, the simulator, `plimsoll
 * validate`) decides on the same signals. An overwrite keeps the type and the JSON Schema: the
 * CRD describes the spec as written.
 */
export const scalingPolicySpecSchema = writtenSpecSchema.overwrite((spec) => expandImpliedSignals(spec, (input) => signalSchema.parse(input)));

// ---------------------------------------------------------------------------------------------
// Status

export const conditionSchema = z
  .strictObject({
    type: z.string().min(1).max(316).meta({ description: 'Type of condition in CamelCase, e.g. Ready.' }),
    status: z.enum(['True', 'False', 'Unknown']).meta({ description: 'Status of the condition.' }),
    observedGeneration: z.int().min(0).optional().meta({ description: 'The .metadata.generation the condition was set from.' }),
    lastTransitionTime: z.string().max(64).meta({ description: 'When the condition last changed status (RFC 3339).' }),
    reason: z.string().min(1).max(1024).meta({ description: 'Machine-readable CamelCase reason for the last transition.' }),
    message: z.string().max(32768).meta({ description: 'Human-readable details.' }),
  })
  .meta({ description: 'A metav1.Condition.' });

const limitedBy = z.string().max(64).meta({ description: 'The constraint that limited the value, if any (e.g. MaxReplicas, ConnectionBudget, ScaleUpRate, RateLimit).' });
const reason = z.string().max(1024).meta({ description: 'Machine-readable reason for the value.' });
const message = z.string().max(2048).meta({ description: 'Human-readable explanation of the decision.' });

const knobSchema = (description: string) =>
  z
    .strictObject({
      value: z.int().min(0).meta({ description: 'The decided value.' }),
      reason,
      limitedBy: limitedBy.optional(),
      message: message.optional(),
    })
    .meta({ description });

/** The version of status.memory's layout; a leader ignores a memory of another version. */
export const MEMORY_VERSION = 1;
const rfc3339 = z.string().max(64);

/**
 * What the engine remembers between evaluations, kept in status so that a new leader (after a
 * failover or an upgrade) resumes the stabilization windows, rate policies, level dwell and
 * adaptive concurrency instead of starting empty. Bounded and compact: only the recommendations
 * that can still decide a window are kept, and it is rewritten only when it changes materially.
 */
export const engineMemorySchema = z
  .strictObject({
    version: z.int().min(1).max(1000).meta({ description: `Layout version (${MEMORY_VERSION}); another version is ignored.` }),
    lineage: z.string().max(128).meta({ description: 'The uid of the policy this memory belongs to; a re-created policy ignores the memory of the old one.' }),
    recommendations: z
      .array(z.strictObject({
        time: rfc3339.meta({ description: 'When the recommendation was made (RFC 3339).' }),
        replicas: z.int().min(0).meta({ description: 'The raw replica recommendation.' }),
      }))
      .max(64)
      .meta({ description: 'The replica recommendations that can still decide a stabilization window (the highest for scale-down, the lowest for scale-up), at most 64.' }),
    scaleEvents: z
      .array(z.strictObject({
        time: rfc3339.meta({ description: 'When the replicas were changed (RFC 3339).' }),
        change: z.int().meta({ description: 'Replicas added (positive) or removed (negative).' }),
      }))
      .max(64)
      .meta({ description: 'Replica changes within the longest behavior policy period, for the rate policies, at most 64.' }),
    level: z
      .strictObject({
        value: z.enum(SERVICE_LEVELS).meta({ description: 'The service level the engine holds.' }),
        since: rfc3339.meta({ description: 'When it entered that level, for minDwellSeconds (RFC 3339).' }),
      })
      .meta({ description: 'The service level and when it last changed.' }),
    providers: z
      .array(z.strictObject({
        name: z.string().max(63).meta({ description: 'Provider name.' }),
        limit: z.number().min(0).meta({ description: 'The adaptive concurrency limit (unrounded).' }),
        longRttSeconds: z.number().min(0).optional().meta({ description: 'Gradient2\'s long-term latency.' }),
        adaptedAt: rfc3339.meta({ description: 'When the limit last stepped (RFC 3339).' }),
      }))
      .max(16)
      .meta({ description: 'Adaptive concurrency per provider.' }),
  })
  .meta({ description: 'The engine\'s memory (stabilization windows, scale events, level dwell, adaptive concurrency), restored by a new leader.' });

export const scalingPolicyStatusSchema = z
  .strictObject({
    observedGeneration: z.int().min(0).optional().meta({ description: 'The .metadata.generation this status reflects.' }),
    conditions: z.array(conditionSchema).max(16).optional().meta({
      description: 'Ready, SignalsHealthy, BudgetConstrained, Degraded, Propagated, Conflict, Paused and DryRun.',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    }),
    current: z
      .strictObject({
        replicas: z.int().min(0).optional().meta({ description: 'Replicas of the target now.' }),
        readyReplicas: z.int().min(0).optional().meta({ description: 'Ready replicas of the target now.' }),
        poolMax: z.int().min(0).optional().meta({ description: 'Pool size per replica in the published runtime document.' }),
        serviceLevel: z.enum(SERVICE_LEVELS).optional().meta({ description: 'The service level in the published runtime document.' }),
        runtimeGeneration: z.int().min(0).optional().meta({ description: 'Generation of the published runtime document.' }),
      })
      .optional()
      .meta({ description: 'What is in force now.' }),
    desired: z
      .strictObject({
        replicas: knobSchema('Desired replica count and why.').optional(),
        poolMax: knobSchema('Desired pool size per replica and why.').optional(),
        concurrency: z
          .array(z.strictObject({
              provider: z.string().max(63).meta({ description: 'Provider name.' }),
              value: z.int().min(0).meta({ description: 'Worker concurrency per replica.' }),
              reason,
              limitedBy: limitedBy.optional(),
            }))
          .max(16)
          .optional()
          .meta({ description: 'Desired worker concurrency per provider and why.' }),
        serviceLevel: z
          .strictObject({ value: z.enum(SERVICE_LEVELS).meta({ description: 'The decided service level.' }), reason, message: message.optional() })
          .optional()
          .meta({ description: 'Desired service level and why.' }),
      })
      .optional()
      .meta({ description: 'What the engine decided at the last evaluation.' }),
    signals: z
      .array(
        z.strictObject({
          name: z.string().max(63).meta({ description: 'Signal name.' }),
          value: z.number().optional().meta({ description: 'Last value read.' }),
          lastSuccessTime: z.string().max(64).optional().meta({ description: 'When the value was read (RFC 3339).' }),
          consecutiveFailures: z.int().min(0).default(0).meta({ description: 'Failed reads since the last success.' }),
          lastError: z.string().max(2048).optional().meta({ description: 'The last read error.' }),
          state: z.enum(['Fresh', 'Stale', 'Missing']).meta({ description: 'Fresh, Stale (last read failed; value still used) or Missing.' }),
        }),
      )
      .max(32)
      .optional()
      .meta({ description: 'Health of each signal.' }),
    acknowledgement: z
      .strictObject({
        generation: z.int().min(0).meta({ description: 'The runtime generation a scale-out waits for.' }),
        waitingSince: z.string().max(64).meta({ description: 'When the wait began (RFC 3339).' }),
        unacknowledged: z.array(z.string().max(512)).max(32).meta({ description: 'The ready replicas (pod names, or the health URL) that do not run it yet, at most 32.' }),
        timedOut: z.boolean().meta({ description: 'True once runtime.acknowledgement.timeoutSeconds has passed.' }),
      })
      .optional()
      .meta({ description: 'A scale-out waiting for the replicas to acknowledge a smaller pool; absent when none waits.' }),
    lastScaleTime: z.string().max(64).optional().meta({ description: 'When replicas were last changed (RFC 3339).' }),
    lastLevelTransitionTime: z.string().max(64).optional().meta({ description: 'When the service level last changed (RFC 3339).' }),
    memory: engineMemorySchema.optional(),
  })
  .meta({ description: 'What the operator observed and decided.' });

export const scalingPolicySchema = z
  .strictObject({
    apiVersion: z.literal(`${API_GROUP}/${API_VERSION}`),
    kind: z.literal(KIND),
    metadata: z
      .object({
        name: z.string().min(1).max(253),
        namespace: z.string().max(63).optional(),
        generation: z.int().optional(),
      })
      .loose(),
    spec: scalingPolicySpecSchema,
    status: scalingPolicyStatusSchema.optional(),
  })
  .meta({ description: 'A ScalingPolicy governs one Deployment: its replicas, database pool per replica, worker concurrency per AI provider and service level, decided together.' });

/** The spec as written by a user (defaults not yet applied). */
export type ScalingPolicySpecInput = z.input<typeof scalingPolicySpecSchema>;
/** The spec with every default applied: what the engine works on. */
export type ScalingPolicySpec = z.output<typeof scalingPolicySpecSchema>;
export type ScalingPolicyStatus = z.output<typeof scalingPolicyStatusSchema>;
export type ScalingPolicy = z.output<typeof scalingPolicySchema>;
export type Signal = z.output<typeof signalSchema>;
export type Objective = z.output<typeof objectiveSchema>;
export type ScalingRules = ScalingPolicySpec['replicas']['behavior']['scaleUp'];
export type ScalingPolicyRule = z.output<typeof scalingPolicyRuleSchema>;
export type ConnectionBudget = z.output<typeof connectionBudgetSchema>;
export type Provider = z.output<typeof providerSchema>;
export type Adaptive = z.output<typeof adaptiveSchema>;
export type Trigger = z.output<typeof triggerSchema>;
export type Condition = z.output<typeof conditionSchema>;
export type PersistedMemory = z.output<typeof engineMemorySchema>;
